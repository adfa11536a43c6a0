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
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
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
		String routeId = routeId(exchange);
		String errorType = Failures.errorType(error);
		if (exchange.getResponse().isCommitted()) {
			Connection client = clientConnection(exchange);
			if (client == null) {
				// WebFlux takes a "connection reset" for the client's own and would end the
				// response normally; the failure is the upstream's.
				return Mono.error(Failures.forClient(error));
			}
			if (!client.channel().isActive()) {
				// Nobody left to tell; passed on, it would be logged at ERROR as well.
				logger.debug("Upstream of route '" + routeId + "' broke off (" + errorType
						+ ") after the client had left: " + error);
				recordOnServerObservation(exchange, error);
				return Mono.empty();
			}
			return breakOff(exchange, client, error, routeId, errorType);
		}
		// One line, no stack trace: the failure is the upstream's, and the client is told.
		logger.warn("Upstream of route '" + routeId + "' failed before answering (" + errorType + "): " + error);
		return GatewayErrors.upstreamFailed(error, errorType, exchange, routeId, this.json);
	}

	/**
	 * Breaks the client's response off the way the upstream's broke off: the connection is closed
	 * before the response's end is written, so no client can take the body for a whole one.
	 * Passed on as an error instead, the failure would be logged twice at ERROR with a stack
	 * trace per call (by WebFlux, then by Reactor Netty), though it is the upstream's and
	 * already counted with its {@code error_type}; this one line is the gateway's record of it.
	 */
	private static Mono<Void> breakOff(ServerWebExchange exchange, Connection client, Throwable error,
			String routeId, String errorType) {
		logger.warn("Upstream of route '" + routeId + "' broke off a response already under way (" + errorType
				+ "); the client's response was broken off too: " + error);
		recordOnServerObservation(exchange, error);
		// On the event loop the close is done at once; from elsewhere it is queued ahead of the
		// response's end, which then finds the channel closed.
		client.channel().close();
		return Mono.empty();
	}

	/** So that http_server_requests still names the failure the exchange ends without. */
	private static void recordOnServerObservation(ServerWebExchange exchange, Throwable error) {
		ServerRequestObservationContext.findCurrent(exchange.getAttributes())
			.ifPresent(context -> context.setError(Failures.forClient(error)));
	}

	/** The client's Reactor Netty connection, or null when the server is not Reactor Netty. */
	private static Connection clientConnection(ServerWebExchange exchange) {
		try {
			return (ServerHttpRequestDecorator.getNativeRequest(exchange.getRequest()) instanceof Connection client)
					? client : null;
		}
		catch (IllegalArgumentException ex) {
			return null;
		}
	}

	private static String routeId(ServerWebExchange exchange) {
		Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
		return (route != null) ? route.getId() : "";
	}

}
