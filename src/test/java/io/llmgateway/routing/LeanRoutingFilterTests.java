package io.llmgateway.routing;

import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.netty.channel.ChannelOption;
import org.junit.jupiter.api.Test;
import reactor.netty.http.client.HttpClient;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.cloud.gateway.config.HttpClientProperties;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.cloud.gateway.route.Route;
import org.springframework.core.ResolvableType;

import static org.assertj.core.api.Assertions.assertThat;

class LeanRoutingFilterTests {

	private static final Duration GLOBAL = Duration.ofSeconds(30);

	private final HttpClient shared = HttpClient.create();

	private final LeanRoutingFilter filter = new LeanRoutingFilter(this.shared, noHeaderFilters(), properties(GLOBAL));

	@Test
	void aRouteWithoutTimeoutsOfItsOwnHasTheGlobalResponseTimeoutOnItsConnection() {
		HttpClient client = this.filter.getHttpClient(route(Map.of()), null);
		assertThat(client.configuration().responseTimeout()).isEqualTo(GLOBAL);
		assertThat(this.filter.getHttpClient(route(Map.of()), null)).isSameAs(client);
	}

	@Test
	void aRouteWithItsOwnResponseTimeoutIsLeftToSpringCloudGateway() {
		for (Object value : new Object[] { 5000, 5000L, "5000", -1 }) {
			HttpClient client = this.filter.getHttpClient(route(Map.of("response-timeout", value)), null);
			assertThat(client.configuration().responseTimeout()).as("response-timeout %s", value).isNull();
		}
	}

	@Test
	void aResponseTimeoutSpringCloudGatewayCannotReadFallsBackToTheGlobalOne() {
		HttpClient client = this.filter.getHttpClient(route(Map.of("response-timeout", "soon")), null);
		assertThat(client.configuration().responseTimeout()).isEqualTo(GLOBAL);
		Map<String, Object> nullValue = new HashMap<>();
		nullValue.put("response-timeout", null);
		assertThat(LeanRoutingFilter.timedBySpringCloudGateway(nullValue)).isTrue();
		assertThat(LeanRoutingFilter.timedBySpringCloudGateway(Map.of())).isFalse();
	}

	@Test
	void aRouteConnectTimeoutIsAppliedOnceToAClientOfTheRoute() {
		Route route = route(Map.of("connect-timeout", "250"));
		HttpClient client = this.filter.getHttpClient(route, null);
		assertThat(client.configuration().options().get(ChannelOption.CONNECT_TIMEOUT_MILLIS)).isEqualTo(250);
		assertThat(client.configuration().responseTimeout()).isEqualTo(GLOBAL);
		assertThat(this.filter.getHttpClient(route, null)).isSameAs(client);
		assertThat(this.filter.getHttpClient(route(Map.of("connect-timeout", 250)), null)).isSameAs(client);

		HttpClient both = this.filter.getHttpClient(route(Map.of("connect-timeout", 100, "response-timeout", 900)), null);
		assertThat(both.configuration().options().get(ChannelOption.CONNECT_TIMEOUT_MILLIS)).isEqualTo(100);
		assertThat(both.configuration().responseTimeout()).isNull();
	}

	@Test
	void theGlobalConnectTimeoutIsAppliedOnce() {
		HttpClientProperties properties = properties(GLOBAL);
		properties.setConnectTimeout(1234);
		LeanRoutingFilter connecting = new LeanRoutingFilter(this.shared, noHeaderFilters(), properties);
		HttpClient client = connecting.getHttpClient(route(Map.of()), null);
		assertThat(client.configuration().options().get(ChannelOption.CONNECT_TIMEOUT_MILLIS)).isEqualTo(1234);
		assertThat(connecting.getHttpClient(route(Map.of("response-timeout", 900)), null).configuration().options()
			.get(ChannelOption.CONNECT_TIMEOUT_MILLIS)).isEqualTo(1234);
	}

	@Test
	void withoutAGlobalResponseTimeoutTheClientIsLeftAsItIs() {
		LeanRoutingFilter untimed = new LeanRoutingFilter(this.shared, noHeaderFilters(), properties(null));
		assertThat(untimed.getHttpClient(route(Map.of()), null)).isSameAs(this.shared);
	}

	private static HttpClientProperties properties(Duration responseTimeout) {
		HttpClientProperties properties = new HttpClientProperties();
		properties.setResponseTimeout(responseTimeout);
		return properties;
	}

	private static ObjectProvider<List<HttpHeadersFilter>> noHeaderFilters() {
		return new DefaultListableBeanFactory()
			.getBeanProvider(ResolvableType.forClassWithGenerics(List.class, HttpHeadersFilter.class));
	}

	private static Route route(Map<String, Object> metadata) {
		return Route.async().id("r").uri(URI.create("http://127.0.0.1:1")).predicate(exchange -> true)
			.metadata(metadata).build();
	}

}
