export default function Page() { return "client-portal"; }
