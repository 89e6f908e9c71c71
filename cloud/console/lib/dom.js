// DOM and formatting helpers shared by the views. `h` builds elements without
// innerHTML, so text from the service (device names, errors) is never parsed as markup.
import { fields, midnightOf, zoneLabel } from "./zone.js";

/** h("div.card#id", { onclick, dataset, ... }, ...children) */
export function h(spec, props = {}, ...children) {
	if (props === null || typeof props !== "object" || props instanceof Node || Array.isArray(props)) {
		children.unshift(props);
		props = {};
	}
	const [, tag = "div", rest = ""] = /^([a-z0-9-]*)(.*)$/i.exec(spec);
	const node = document.createElement(tag || "div");
	for (const part of rest.match(/[.#][^.#]+/g) ?? []) {
		if (part[0] === ".") node.classList.add(part.slice(1));
		else node.id = part.slice(1);
	}
	for (const [key, value] of Object.entries(props)) {
		if (value === undefined || value === null || value === false) continue;
		if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
		else if (key === "dataset") Object.assign(node.dataset, value);
		else if (key === "style") Object.assign(node.style, value);
		else if (key === "class") node.classList.add(...String(value).split(/\s+/).filter(Boolean));
		else if (key in node && typeof value !== "string") node[key] = value;
		else node.setAttribute(key, value === true ? "" : String(value));
	}
	append(node, children);
	return node;
}

function append(node, children) {
	for (const child of children.flat(Infinity)) {
		if (child === undefined || child === null || child === false) continue;
		node.append(child instanceof Node ? child : document.createTextNode(String(child)));
	}
}

/** Replaces the children of `node`. */
export function fill(node, ...children) {
	node.replaceChildren();
	append(node, children);
	return node;
}

/**
 * Runs render() (which replaces what `within` holds) and gives the focus back to the element
 * with the same id, or to `fallback` when it is gone: a keyboard user keeps their place across
 * a page's reload.
 */
export function keepFocus(within, render, fallback) {
	const id = within.contains(document.activeElement) ? document.activeElement.id : "";
	render();
	if (id) (document.getElementById(id) ?? fallback)?.focus();
}

const pad = (n, w = 2) => String(n).padStart(w, "0");

/** 14:03:27 (in the zone shown, lib/zone.js) */
export function clock(ms, seconds = true) {
	const f = fields(ms);
	return `${pad(f.hour)}:${pad(f.minute)}${seconds ? ":" + pad(f.second) : ""}`;
}

/** 2026-11-22 (in the zone shown) */
export function day(ms) {
	const f = fields(ms);
	return `${f.year}-${pad(f.month)}-${pad(f.day)}`;
}

/** "Today 14:03:27", "Yesterday 09:10:00", "Tomorrow 08:00:00" (a ticket's or a
 * link's expiry), or "2026-11-20 09:10:00". Day starts are found in the zone shown,
 * not by adding 24 h: a daylight-saving day is 23 or 25 hours long. */
export function when(ms) {
	const today = startOfDay(Date.now());
	const tomorrow = startOfDay(today + 36 * 3600e3);
	if (ms >= tomorrow && ms < startOfDay(tomorrow + 36 * 3600e3)) return `Tomorrow ${clock(ms)}`;
	if (ms >= today && ms < tomorrow) return `Today ${clock(ms)}`;
	if (ms < today && ms >= startOfDay(today - 12 * 3600e3)) return `Yesterday ${clock(ms)}`;
	return `${day(ms)} ${clock(ms)}`;
}

/** when() with the zone's name: "Today 14:03:27 CET". */
export const stamp = (ms) => `${when(ms)} ${zoneLabel(ms)}`;

export function startOfDay(ms) {
	return midnightOf(day(ms));
}

/** "12 s", "4 min", "3 h 5 min", "2 days" */
export function duration(ms) {
	const s = Math.round(ms / 1000);
	if (s < 60) return `${s} s`;
	const m = Math.round(s / 60);
	if (m < 60) return `${m} min`;
	const hrs = Math.floor(m / 60);
	if (hrs < 48) return m % 60 ? `${hrs} h ${m % 60} min` : `${hrs} h`;
	return `${Math.round(hrs / 24)} days`;
}

/** "3 min ago" */
export function ago(ms) {
	const delta = Date.now() - ms;
	return delta < 5000 ? "just now" : `${duration(delta)} ago`;
}

/** Event bitmask (PROTOCOL §6) to labels. */
export function eventLabels(bits) {
	const names = [];
	if (bits & 1) names.push("Motion");
	if (bits & 2) names.push("Person");
	if (bits & 4) names.push("Sound");
	if (bits & 8) names.push("Linkage");
	if (bits & 0xffff0000) names.push("Custom");
	return names.length ? names : ["Event"];
}

/** The main kind of an event, for its colour. */
export function eventKind(bits) {
	return bits & 2 ? "person" : bits & 1 ? "motion" : bits & 4 ? "sound" : "other";
}
