package io.llmgateway.routing;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.netty.channel.ChannelOption;
import reactor.netty.Connection;
import reactor.netty.NettyPipeline;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.client.HttpClientResponse;

import org.springframework.beans.BeanUtils;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.gateway.config.HttpClientProperties;
import org.springframework.cloud.gateway.filter.NettyRoutingFilter;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.util.ConcurrentReferenceHashMap;
import org.springframework.web.server.ServerWebExchange;

import static org.springframework.cloud.gateway.support.RouteMetadataUtils.CONNECT_TIMEOUT_ATTR;
import static org.springframework.cloud.gateway.support.RouteMetadataUtils.RESPONSE_TIMEOUT_ATTR;

/**
 * Spring Cloud Gateway's routing filter, with the global response timeout
 * ({@code spring.cloud.gateway.server.webflux.httpclient.response-timeout}) timed on the upstream
 * connection.
 *
 * <p>Spring Cloud Gateway bounds the time to the response headers with Reactor's
 * {@code Flux.timeout}, which puts a task on a shared scheduler thread's queue for every call and
 * takes it off again when the headers come: a lock and a delay queue shared by all event loops,
 * and a thread to wake. Here Reactor Netty times the same interval on the connection's own event
 * loop: its response timeout starts once the request is sent, and this filter ends it when the
 * response headers arrive, so a slow body is not cut short, as before. Measured with
 * {@code bench/ab.sh}: 172 against 162 µs of CPU per JSON call.
 *
 * <p>A route that sets its own {@code response-timeout} in its metadata is timed by Spring Cloud
 * Gateway as before. Per-route {@code connect-timeout}s are applied to a client made once per
 * route instead of once per call.
 */
public class LeanRoutingFilter extends NettyRoutingFilter {

	private final HttpClient client;

	private final HttpClient untimedClient;

	private final Map<Route, HttpClient> routeClients = new ConcurrentReferenceHashMap<>(16,
			ConcurrentReferenceHashMap.ReferenceType.WEAK);

	public LeanRoutingFilter(HttpClient httpClient, ObjectProvider<List<HttpHeadersFilter>> headersFilters,
			HttpClientProperties properties) {
		super(httpClient, headersFilters, withoutResponseTimeout(properties));
		Duration responseTimeout = properties.getResponseTimeout();
		this.untimedClient = httpClient;
		this.client = (responseTimeout != null)
				? httpClient.responseTimeout(responseTimeout).doOnResponse(LeanRoutingFilter::endResponseTimeout)
				: httpClient;
	}

	/** The same settings, minus the response timeout: Spring Cloud Gateway's timer stays unset. */
	private static HttpClientProperties withoutResponseTimeout(HttpClientProperties properties) {
		HttpClientProperties copy = new HttpClientProperties();
		BeanUtils.copyProperties(properties, copy);
		copy.setResponseTimeout(null);
		return copy;
	}

	/** The headers are there: what remains is the body, which the response timeout does not bound. */
	private static void endResponseTimeout(HttpClientResponse response, Connection connection) {
		connection.removeHandler(NettyPipeline.ResponseTimeoutHandler);
	}

	@Override
	protected HttpClient getHttpClient(Route route, ServerWebExchange exchange) {
		Map<String, Object> metadata = route.getMetadata();
		if (metadata.get(CONNECT_TIMEOUT_ATTR) == null && !metadata.containsKey(RESPONSE_TIMEOUT_ATTR)) {
			return this.client;
		}
		return this.routeClients.computeIfAbsent(route, this::clientOf);
	}

	private HttpClient clientOf(Route route) {
		Map<String, Object> metadata = route.getMetadata();
		HttpClient routeClient = timedBySpringCloudGateway(metadata) ? this.untimedClient : this.client;
		Object connectTimeout = metadata.get(CONNECT_TIMEOUT_ATTR);
		if (connectTimeout != null) {
			int millis = (connectTimeout instanceof Integer value) ? value
					: Integer.parseInt(connectTimeout.toString());
			routeClient = routeClient.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, millis);
		}
		return routeClient;
	}

	/**
	 * Whether Spring Cloud Gateway reads the route's own response timeout (a number of
	 * milliseconds, negative for none) and so times the call itself. A value it cannot read makes
	 * it fall back to the global timeout, which is then timed on the connection.
	 */
	static boolean timedBySpringCloudGateway(Map<String, Object> metadata) {
		if (!metadata.containsKey(RESPONSE_TIMEOUT_ATTR)) {
			return false;
		}
		Object value = metadata.get(RESPONSE_TIMEOUT_ATTR);
		if (value == null || value instanceof Number) {
			return true;
		}
		try {
			Long.parseLong(value.toString());
			return true;
		}
		catch (NumberFormatException ex) {
			return false;
		}
	}

}
