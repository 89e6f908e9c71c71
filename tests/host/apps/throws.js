function deep() {
	throw new TypeError("boom");
}
export default function main() {
	deep();
}
