package io.llmgateway.filter;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ServerWebExchange;

/**
 * Upstream failures on every route, LLM or not, end the way the LLM calls' do. A call whose
 * upstream cannot be reached, resets or times out before answering gets a 502 (504 for a timeout)
 * with a JSON error naming the route, instead of Spring's generic 500. An upstream that breaks
 * off in the middle of its response breaks the client's response off too, rather than let it
 * end as if it were whole.
 *
 * <p>It wraps {@link LlmObservationFilter}, which answers the failures of the calls it reads
 * itself; what reaches this filter is the rest. Resending is {@link UpstreamResendFilter}'s.
 */
public class UpstreamFailureFilter implements GlobalFilter, Ordered {

	/** Order of this filter: just around {@link LlmObservationFilter}. */
	public static final int ORDER = LlmObservationFilter.ORDER - 1;

	private static final Log logger = LogFactory.getLog(UpstreamFailureFilter.class);

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
		return chain.filter(exchange).onErrorResume(error -> answer(error, exchange));
	}

	private Mono<Void> answer(Throwable error, ServerWebExchange exchange) {
		if (!Failures.isUpstreamFailure(error)) {
			return Mono.error(error);
		}
		if (exchange.getResponse().isCommitted()) {
			// WebFlux takes a "connection reset" for the client's own and would end the response
			// normally; while the client is still there, the failure is the upstream's.
			return Mono.error(clientStillConnected(exchange) ? Failures.forClient(error) : error);
		}
		String routeId = routeId(exchange);
		String errorType = Failures.errorType(error);
		// One line, no stack trace: the failure is the upstream's, and the client is told.
		logger.warn("Upstream of route '" + routeId + "' failed before answering (" + errorType + "): " + error);
		return GatewayErrors.upstreamFailed(error, errorType, exchange, routeId, this.json);
	}

	/** Whether the client's connection is still open; when that cannot be told, it is taken to be. */
	private static boolean clientStillConnected(ServerWebExchange exchange) {
		Object client;
		try {
			client = ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest());
		}
		catch (IllegalArgumentException ex) {
			return true;
		}
		return !(client instanceof Connection connection) || connection.channel().isActive();
	}

	private static String routeId(ServerWebExchange exchange) {
		Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
		return (route != null) ? route.getId() : "";
	}

}
