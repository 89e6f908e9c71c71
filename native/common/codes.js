// The `code` of errors any binding may throw (the binding kit, native/common/README.md):
// the kit's (bad argument, not a handle, closed, out of memory) and the hosts' own
// modules' (files, sockets, TLS, …). Each native module exports its own in `codes`.
export const codes = Object.freeze({
	EARG: "IVXS_EARG",
	EHANDLE: "IVXS_EHANDLE",
	ECLOSED: "IVXS_ECLOSED",
	ENOMEM: "IVXS_ENOMEM",
	EUNKNOWN: "IVXS_EUNKNOWN",
	HOST_ESYSTEM: "IVXS_HOST_ESYSTEM",
	HOST_EREFUSED: "IVXS_HOST_EREFUSED",
	HOST_ERESET: "IVXS_HOST_ERESET",
	HOST_ETLS: "IVXS_HOST_ETLS",
	HOST_EVERIFY: "IVXS_HOST_EVERIFY",
	HOST_ECRYPTO: "IVXS_HOST_ECRYPTO",
	HOST_ECORRUPT: "IVXS_HOST_ECORRUPT",
	HOST_ELIMIT: "IVXS_HOST_ELIMIT",
});
