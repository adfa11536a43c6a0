package io.llmgateway.headers;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.springframework.cloud.gateway.filter.headers.RemoveForwardedHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.RemoveHopByHopHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.RemoveXForwardedHeadersFilter;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;

/**
 * Spring Cloud Gateway's {@link RemoveHopByHopHeadersFilter} for requests, which also does the
 * work of {@link RemoveForwardedHeadersFilter} and {@link RemoveXForwardedHeadersFilter} where
 * those are in use (no trusted proxies configured). Each of the three copies every header of the
 * request into a new case-insensitive map; this filter copies them once.
 *
 * <p>The forwarding headers are now removed at this filter's order (last but one) instead of
 * first: a request-header filter ordered between the two that added {@code X-Forwarded-*}
 * headers would see them removed, and one that read them would see the client's values. Spring
 * Cloud Gateway has none there (its own forwarding filters replace the removing ones, and then
 * they stay); a filter of yours there wants {@code llm-gateway.one-pass-request-headers=false}.
 *
 * <p>Being a {@code RemoveHopByHopHeadersFilter}, it is bound to the same properties
 * ({@code spring.cloud.gateway.server.webflux.filter.remove-hop-by-hop.headers} and
 * {@code .order}). Responses are left to {@link ResponseHopByHopHeadersFilter}.
 */
public class OnePassRequestHeadersFilter extends RemoveHopByHopHeadersFilter {

	private static final String FORWARDED = "Forwarded";

	private static final String X_FORWARDED_PREFIX = "x-forwarded-";

	private final boolean removeForwarded;

	private final boolean removeXForwarded;

	/**
	 * @param removeForwarded whether {@code Forwarded} is removed, as
	 * {@link RemoveForwardedHeadersFilter} would
	 * @param removeXForwarded whether {@code X-Forwarded-*} are removed, as
	 * {@link RemoveXForwardedHeadersFilter} would
	 */
	public OnePassRequestHeadersFilter(boolean removeForwarded, boolean removeXForwarded) {
		this.removeForwarded = removeForwarded;
		this.removeXForwarded = removeXForwarded;
	}

	@Override
	public HttpHeaders filter(HttpHeaders input, ServerWebExchange exchange) {
		Set<String> removed = removedNames(input.getConnection());
		HttpHeaders filtered = new HttpHeaders();
		// forEach walks the request's own (Netty) header names. headerSet() would first copy every
		// name into a case-insensitive map, and a read-only view then copies the entries again.
		// A name sent twice in different cases comes up twice here, each time with all the values
		// of both: the first one seen is kept, as headerSet() keeps it.
		input.forEach((name, values) -> {
			if (!isRemoved(name, removed) && !filtered.containsHeader(name)) {
				filtered.addAll(name, values);
			}
		});
		return filtered;
	}

	/** The configured hop-by-hop names, lower case, and those the request's Connection header names. */
	private Set<String> removedNames(List<String> connectionOptions) {
		if (connectionOptions.isEmpty()) {
			return getHeaders();
		}
		Set<String> removed = new HashSet<>(getHeaders());
		for (String option : connectionOptions) {
			removed.add(option.toLowerCase(Locale.ROOT));
		}
		return removed;
	}

	private boolean isRemoved(String name, Set<String> removed) {
		if (this.removeForwarded && name.equalsIgnoreCase(FORWARDED)) {
			return true;
		}
		if (this.removeXForwarded && name.regionMatches(true, 0, X_FORWARDED_PREFIX, 0, X_FORWARDED_PREFIX.length())) {
			return true;
		}
		return removed.contains(name.toLowerCase(Locale.ROOT));
	}

	@Override
	public boolean supports(Type type) {
		return type == Type.REQUEST;
	}

	boolean removesForwarded() {
		return this.removeForwarded;
	}

	boolean removesXForwarded() {
		return this.removeXForwarded;
	}

}
