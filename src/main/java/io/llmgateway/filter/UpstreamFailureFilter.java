package io.llmgateway.filter;

import java.util.Set;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;

/**
 * Upstream failures on every route, LLM or not, end the way the LLM calls' do: a request without
 * a body that the upstream did not act on is sent once more, and a call whose upstream
 * cannot be reached, resets or times out before answering gets a 502 (504 for a timeout) with a
 * JSON error naming the route, instead of Spring's generic 500.
 *
 * <p>It wraps {@link LlmObservationFilter}, which answers the failures of the calls it reads
 * itself (and can send their bodies again, as it holds them); what reaches this filter is the
 * rest. A request body streamed from the client cannot be sent twice, so such a call is answered,
 * not retried.
 */
public class UpstreamFailureFilter implements GlobalFilter, Ordered {

	/** Order of this filter: just around {@link LlmObservationFilter}. */
	public static final int ORDER = LlmObservationFilter.ORDER - 1;

	private static final Log logger = LogFactory.getLog(UpstreamFailureFilter.class);

	private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
			HttpMethod.TRACE, HttpMethod.PUT, HttpMethod.DELETE);

	private final JsonMapper json;

	public UpstreamFailureFilter(JsonMapper json) {
		this.json = json;
	}

	@Override
	public int getOrder() {
		return ORDER;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		ServerHttpResponse response = exchange.getResponse();
		return chain.filter(exchange)
			.onErrorResume(error -> GatewayErrors.resendOnce(safeToResend(exchange.getRequest(), error), error,
					withoutBody(exchange), chain, response, routeId(exchange)))
			.onErrorResume(error -> answer(error, response, routeId(exchange)));
	}

	/**
	 * Only a request without a body can be sent again, the client's body having gone upstream
	 * as it came. It is, when the upstream provably did not get it, or when the method is
	 * idempotent and the connection broke before any answer (what nginx's
	 * {@code proxy_next_upstream error} does too).
	 */
	private static boolean safeToResend(ServerHttpRequest request, Throwable error) {
		if (!hasNoBody(request)) {
			return false;
		}
		return Failures.requestNotSent(error)
				|| (IDEMPOTENT.contains(request.getMethod()) && Failures.UPSTREAM_RESET.equals(Failures.errorType(error)));
	}

	private Mono<Void> answer(Throwable error, ServerHttpResponse response, String routeId) {
		if (!Failures.isUpstreamFailure(error) || response.isCommitted()) {
			return Mono.error(error);
		}
		String errorType = Failures.errorType(error);
		// One line, no stack trace: the failure is the upstream's, and the client is told.
		logger.warn("Upstream of route '" + routeId + "' failed before answering (" + errorType + "): " + error);
		return GatewayErrors.upstreamFailed(error, errorType, response, routeId, this.json);
	}

	private static boolean hasNoBody(ServerHttpRequest request) {
		HttpHeaders headers = request.getHeaders();
		return headers.getContentLength() <= 0 && headers.getFirst(HttpHeaders.TRANSFER_ENCODING) == null;
	}

	/** The client's (empty) body can be read only once; a resend reads nothing instead. */
	private static ServerWebExchange withoutBody(ServerWebExchange exchange) {
		ServerHttpRequest request = new ServerHttpRequestDecorator(exchange.getRequest()) {
			@Override
			public Flux<DataBuffer> getBody() {
				return Flux.empty();
			}
		};
		return exchange.mutate().request(request).build();
	}

	private static String routeId(ServerWebExchange exchange) {
		Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
		return (route != null) ? route.getId() : "";
	}

}
