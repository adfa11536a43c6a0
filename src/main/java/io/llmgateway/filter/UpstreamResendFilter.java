package io.llmgateway.filter;

import java.net.URI;
import java.util.Set;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.cloud.gateway.filter.NettyRoutingFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.Ordered;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ServerWebExchange;

/**
 * Sends a request to the upstream once more when its connection failed in a way that makes that
 * safe: the upstream provably did not get the whole request (a pooled connection it had just
 * closed), or the method is idempotent and the connection broke before any answer (what nginx's
 * {@code proxy_next_upstream error} does too). Only a body that can be read again qualifies: none
 * at all, or one a filter holds in memory and names with {@link #REPLAYABLE_BODY_ATTR}; a body
 * streamed from the client has gone upstream as it came.
 *
 * <p>It sits right before the routing filters, so a resend runs routing only: meters, rate
 * limiters and retry filters further out see one call. Only HTTP upstreams are resent to; a
 * {@code forward:} route's local handler is not run twice.
 */
public class UpstreamResendFilter implements GlobalFilter, Ordered {

	/**
	 * Order of this filter: just before {@link NettyRoutingFilter} and the WebSocket routing filter
	 * ({@code NettyRoutingFilter.ORDER - 1}).
	 */
	public static final int ORDER = NettyRoutingFilter.ORDER - 2;

	/**
	 * Exchange attribute holding the request body ({@code Flux<DataBuffer>}) a filter passes on
	 * when that body can be subscribed to again, each time from the start. It counts only while
	 * it is still the request's body: a filter further in that puts another body in its place
	 * makes the request one that cannot be resent.
	 */
	public static final String REPLAYABLE_BODY_ATTR = UpstreamResendFilter.class.getName() + ".replayableBody";

	private static final Log logger = LogFactory.getLog(UpstreamResendFilter.class);

	private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
			HttpMethod.TRACE, HttpMethod.PUT, HttpMethod.DELETE);

	@Override
	public int getOrder() {
		return ORDER;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, GatewayFilterChain chain) {
		return chain.filter(exchange).onErrorResume(error -> resend(error, exchange, chain));
	}

	private static Mono<Void> resend(Throwable error, ServerWebExchange exchange, GatewayFilterChain chain) {
		// An upstream answer means the failure came after it had acted on the request.
		boolean upstreamAnswered = exchange.getAttribute(ServerWebExchangeUtils.CLIENT_RESPONSE_CONN_ATTR) != null;
		if (upstreamAnswered || exchange.getResponse().isCommitted() || !toHttpUpstream(exchange)
				|| !safeFailure(exchange.getRequest(), error)) {
			return Mono.error(error);
		}
		ServerWebExchange again;
		Object replayable = exchange.getAttribute(REPLAYABLE_BODY_ATTR);
		if (replayable != null && replayable == exchange.getRequest().getBody()) {
			again = exchange;
		}
		else if (hasNoBody(exchange.getRequest())) {
			again = withoutBody(exchange);
		}
		else {
			return Mono.error(error);
		}
		if (logger.isDebugEnabled()) {
			Route route = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ROUTE_ATTR);
			logger.debug("Upstream connection of route '" + ((route != null) ? route.getId() : "")
					+ "' failed before it answered; sending the request again", error);
		}
		return Mono.defer(() -> {
			ServerWebExchangeUtils.reset(again);
			return chain.filter(again);
		});
	}

	private static boolean toHttpUpstream(ServerWebExchange exchange) {
		URI url = exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR);
		String scheme = (url != null) ? url.getScheme() : null;
		return "http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme);
	}

	private static boolean safeFailure(ServerHttpRequest request, Throwable error) {
		return Failures.requestNotSent(error) || (IDEMPOTENT.contains(request.getMethod())
				&& Failures.UPSTREAM_RESET.equals(Failures.errorType(error)));
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

}
