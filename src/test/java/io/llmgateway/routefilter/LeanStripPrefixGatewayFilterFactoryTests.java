package io.llmgateway.routefilter;

import java.net.URI;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.cloud.gateway.filter.GatewayFilter;
import org.springframework.cloud.gateway.filter.factory.StripPrefixGatewayFilterFactory;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The lean {@code StripPrefix} against Spring Cloud Gateway's own on random requests: the request
 * handed on must have the same URI, path, query and headers, and the exchange the same gateway
 * attributes, while its headers are the client's own, not a copy.
 */
class LeanStripPrefixGatewayFilterFactoryTests {

	private static final String[] SEGMENTS = { "llm", "v1", "chat", "completions", "a%20b", "%2F", "ü", "x;y=1", "",
			".", "..", "A-B_c~" };

	private static final String[] QUERIES = { null, "", "a=1", "a=1&b=%20", "q=%E2%9C%93&q=2" };

	private final StripPrefixGatewayFilterFactory stock = new StripPrefixGatewayFilterFactory();

	private final LeanStripPrefixGatewayFilterFactory lean = new LeanStripPrefixGatewayFilterFactory();

	@Test
	void handsOnTheSameRequestAsSpringCloudGatewaysOwn() {
		Random random = new Random(20261124);
		for (int i = 0; i < 5000; i++) {
			String uri = randomUri(random);
			String contextPath = (random.nextInt(5) == 0) ? "/ctx" : "";
			if (!contextPath.isEmpty()) {
				uri = uri.replaceFirst("^(https?://[^/]+)?", "$1" + contextPath);
			}
			int parts = random.nextInt(5) - 1;
			assertSame(uri, contextPath, parts);
		}
	}

	@Test
	void handsOnTheSameRequestForTheUsualRoutes() {
		assertSame("http://gateway:8080/llm/v1/chat/completions?x=1", "", 1);
		assertSame("/llm/v1/chat/completions/", "", 1);
		assertSame("/llm", "", 1);
		assertSame("/llm/v1", "", 5);
		assertSame("http://gateway//llm//v1///chat", "", 1);
	}

	@Test
	void isNamedStripPrefixAndReadsTheSameShortcut() {
		assertThat(this.lean.name()).isEqualTo(this.stock.name()).isEqualTo("StripPrefix");
		assertThat(this.lean.shortcutFieldOrder()).isEqualTo(this.stock.shortcutFieldOrder());
		assertThat(this.lean.apply(config(2)).toString()).isEqualTo(this.stock.apply(config(2)).toString());
	}

	private void assertSame(String uri, String contextPath, int parts) {
		Handed stock = run(this.stock.apply(config(parts)), uri, contextPath);
		Handed lean = run(this.lean.apply(config(parts)), uri, contextPath);
		String what = uri + " (context path '" + contextPath + "', parts " + parts + ")";
		if (stock.error != null) {
			assertThat(lean.error).as(what).isNotNull().hasSameClassAs(stock.error);
			return;
		}
		assertThat(lean.error).as(what).isNull();
		ServerHttpRequest expected = stock.exchange.getRequest();
		ServerHttpRequest actual = lean.exchange.getRequest();
		assertThat(actual.getURI()).as(what).isEqualTo(expected.getURI());
		// A path that no longer starts with the context path fails only when it is read, in both.
		assertThat(describePath(actual)).as(what).isEqualTo(describePath(expected));
		assertThat(actual.getQueryParams()).as(what).isEqualTo(expected.getQueryParams());
		assertThat(actual.getMethod()).as(what).isEqualTo(expected.getMethod());
		assertThat(actual.getHeaders().toSingleValueMap()).as(what)
			.isEqualTo(expected.getHeaders().toSingleValueMap());
		assertThat((Object) lean.exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR)).as(what)
			.isEqualTo(stock.exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR));
		assertThat((Object) lean.exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ORIGINAL_REQUEST_URL_ATTR))
			.as(what)
			.isEqualTo(stock.exchange.getAttribute(ServerWebExchangeUtils.GATEWAY_ORIGINAL_REQUEST_URL_ATTR));
		assertThat(actual.getHeaders()).as("the client's headers, not a copy")
			.isSameAs(lean.client.getRequest().getHeaders());
	}

	private static String describePath(ServerHttpRequest request) {
		try {
			return request.getPath().value() + " | " + request.getPath().contextPath().value() + " | "
					+ request.getPath().pathWithinApplication().value();
		}
		catch (IllegalArgumentException ex) {
			return ex.getClass().getName();
		}
	}

	private static Handed run(GatewayFilter filter, String uri, String contextPath) {
		MockServerWebExchange client = MockServerWebExchange.from(MockServerHttpRequest.post(uri)
			.contextPath(contextPath)
			.header("Authorization", "Bearer x")
			.header("X-Team", "blue", "green"));
		AtomicReference<ServerWebExchange> handed = new AtomicReference<>();
		try {
			filter.filter(client, exchange -> {
				handed.set(exchange);
				return Mono.empty();
			}).block();
			return new Handed(client, handed.get(), null);
		}
		catch (RuntimeException ex) {
			return new Handed(client, null, ex);
		}
	}

	private static String randomUri(Random random) {
		StringBuilder uri = new StringBuilder(random.nextBoolean() ? "" : "http://gateway:8080");
		int segments = random.nextInt(6);
		for (int i = 0; i < segments; i++) {
			uri.append('/').append(SEGMENTS[random.nextInt(SEGMENTS.length)]);
		}
		if (segments == 0 || random.nextInt(4) == 0) {
			uri.append('/');
		}
		if (uri.length() > 1 && uri.charAt(0) == '/' && uri.charAt(1) == '/') {
			// Without a host, a path starting with "//" would read as an authority.
			uri.insert(0, "http://gateway:8080");
		}
		String query = QUERIES[random.nextInt(QUERIES.length)];
		if (query != null) {
			uri.append('?').append(query);
		}
		return URI.create(uri.toString().replace("ü", "%C3%BC")).toString();
	}

	private static StripPrefixGatewayFilterFactory.Config config(int parts) {
		StripPrefixGatewayFilterFactory.Config config = new StripPrefixGatewayFilterFactory.Config();
		config.setParts(parts);
		return config;
	}

	private record Handed(ServerWebExchange client, ServerWebExchange exchange, RuntimeException error) {
	}

}
