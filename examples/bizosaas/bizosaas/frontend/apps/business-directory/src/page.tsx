export default function Page() { return "business-directory"; }
