// Moddable's `preference` module (same API): persistent key/value storage.
class Preference {
	static set(domain, key, value) @ "xs_preference_set";
	static get(domain, key) @ "xs_preference_get";
	static delete(domain, key) @ "xs_preference_delete";
	static keys(domain) @ "xs_preference_keys";
}
Object.freeze(Preference);
export default Preference;
