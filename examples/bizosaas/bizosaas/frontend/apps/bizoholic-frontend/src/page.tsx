export default function Page() { return "bizoholic-frontend"; }
