function nothing() @ "xs_not_linked";
export default function () { nothing(); }
