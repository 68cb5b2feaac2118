export default function Page() { return "admin-dashboard"; }
