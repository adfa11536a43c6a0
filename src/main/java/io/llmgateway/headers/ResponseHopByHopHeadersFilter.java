package io.llmgateway.headers;

import org.springframework.cloud.gateway.filter.headers.RemoveHopByHopHeadersFilter;

/**
 * Spring Cloud Gateway's {@link RemoveHopByHopHeadersFilter}, for responses only: requests are
 * {@link OnePassRequestHeadersFilter}'s. Bound to the same properties.
 */
public class ResponseHopByHopHeadersFilter extends RemoveHopByHopHeadersFilter {

	@Override
	public boolean supports(Type type) {
		return type == Type.RESPONSE;
	}

}
