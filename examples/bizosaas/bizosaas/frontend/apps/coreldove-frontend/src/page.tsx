export default function Page() { return "coreldove-frontend"; }
