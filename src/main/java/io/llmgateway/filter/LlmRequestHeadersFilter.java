package io.llmgateway.filter;

import java.util.Locale;
import java.util.Map;

import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;

/**
 * Puts an LLM call's own request headers on what goes upstream: the trace context of the call's
 * span, and only the content encodings the gateway can read back. {@link LlmObservationFilter}
 * leaves the edits on the exchange; they are applied here, last among the request-header filters,
 * to the copy of the headers those filters already made. Editing the request itself
 * ({@code ServerHttpRequest.mutate()}) would copy every header once more per call.
 *
 * <p>Being last, the edits win over a route filter that set the same headers. The body's length
 * is not set here: it depends on the body, which a route filter may wrap or replace, so
 * {@link LlmObservationFilter} puts it on the request, where such a filter sees it.
 */
public class LlmRequestHeadersFilter implements HttpHeadersFilter, Ordered {

	/** Order of this filter: after every other request-header filter. */
	public static final int ORDER = Ordered.LOWEST_PRECEDENCE;

	/** Exchange attribute holding the {@link Edits} of an LLM call. */
	static final String EDITS_ATTR = LlmRequestHeadersFilter.class.getName() + ".edits";

	@Override
	public HttpHeaders filter(HttpHeaders input, ServerWebExchange exchange) {
		Edits edits = exchange.getAttribute(EDITS_ATTR);
		if (edits == null) {
			return input;
		}
		try {
			edits.applyTo(input);
			return input;
		}
		catch (UnsupportedOperationException readOnly) {
			// Only when no filter before this one made a copy: the request's own headers are read-only.
			HttpHeaders copy = new HttpHeaders();
			copy.addAll(input);
			edits.applyTo(copy);
			return copy;
		}
	}

	@Override
	public boolean supports(Type type) {
		return type == Type.REQUEST;
	}

	@Override
	public int getOrder() {
		return ORDER;
	}

	/**
	 * What an LLM call changes in the headers it sends upstream.
	 *
	 * @param traceHeaders the trace context of the call's span
	 * @param usageInjected whether the gateway edited a stream request, so the stream must come
	 * back unencoded
	 */
	record Edits(Map<String, String> traceHeaders, boolean usageInjected) {

		void applyTo(HttpHeaders headers) {
			this.traceHeaders.forEach(headers::set);
			// Only what the gateway can read comes back; an edited stream must come back plain.
			String accepted = headers.getFirst(HttpHeaders.ACCEPT_ENCODING);
			if (this.usageInjected) {
				headers.set(HttpHeaders.ACCEPT_ENCODING, "identity");
			}
			else if (accepted != null) {
				headers.set(HttpHeaders.ACCEPT_ENCODING, readableEncodings(accepted));
			}
		}

	}

	/** Keeps the encodings the gateway can decode, with their weights; identity otherwise. */
	static String readableEncodings(String acceptEncoding) {
		StringBuilder kept = new StringBuilder();
		for (String part : acceptEncoding.split(",")) {
			String coding = part.split(";")[0].strip().toLowerCase(Locale.ROOT);
			if (coding.equals("gzip") || coding.equals("x-gzip") || coding.equals("deflate")
					|| coding.equals("identity")) {
				if (kept.length() > 0) {
					kept.append(", ");
				}
				kept.append(part.strip());
			}
		}
		return (kept.length() > 0) ? kept.toString() : "identity";
	}

}
