"""Brain gateway: routes AI requests for the BizOSaaS platform (placeholder)."""
print("brain-gateway")
