import thing from "no/such/module";
export default function () { thing(); }
