export default function Page() { return "thrillring-gaming"; }
