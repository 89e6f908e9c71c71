export default function () {
	const keep = [];
	for (;;) keep.push(new Array(1000).fill(keep.length));
}
