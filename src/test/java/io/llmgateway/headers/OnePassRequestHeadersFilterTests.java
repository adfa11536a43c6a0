package io.llmgateway.headers;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter.Type;
import org.springframework.cloud.gateway.filter.headers.RemoveForwardedHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.RemoveHopByHopHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.RemoveXForwardedHeadersFilter;
import io.netty.handler.codec.http.DefaultHttpHeaders;

import org.springframework.http.HttpHeaders;
import org.springframework.http.support.Netty4HeadersAdapter;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one-pass filter against Spring Cloud Gateway's own three filters, run the way its routing
 * filter runs them: on thousands of random requests, both keep exactly the same headers, values
 * and order.
 */
class OnePassRequestHeadersFilterTests {

	static final String[] NAMES = { "Host", "Content-Type", "Content-Length", "Authorization", "Accept",
			"Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer", "Proxy-Authorization",
			"Proxy-Authenticate", "X-Application-Context", "Upgrade", "Forwarded", "X-Forwarded-For",
			"X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port", "X-Forwarded-Prefix", "X-Forwardedx",
			"X-Forward-For", "Forwarded-For", "x-team", "x-user", "X-Drop", "X-Secret", "traceparent" };

	static final String[] CONNECTION_OPTIONS = { "keep-alive", "close", "Upgrade", "x-drop", "X-Team",
			"X-Forwarded-For", "x-secret" };

	final ServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.get("/"));

	@Test
	void keepsWhatSpringCloudGatewaysThreeFiltersKeep() {
		compare(true, true, null);
	}

	@Test
	void withoutTheForwardingRulesKeepsWhatTheHopByHopFilterKeeps() {
		compare(false, false, null);
		compare(true, false, null);
		compare(false, true, null);
	}

	@Test
	void configuredHopByHopHeadersAreHonoured() {
		compare(true, true, Set.of("X-Secret", "connection", "Keep-Alive"));
	}

	@Test
	void responsesAreNotItsBusiness() {
		OnePassRequestHeadersFilter filter = new OnePassRequestHeadersFilter(true, true);
		assertThat(filter.supports(Type.REQUEST)).isTrue();
		assertThat(filter.supports(Type.RESPONSE)).isFalse();
		ResponseHopByHopHeadersFilter response = new ResponseHopByHopHeadersFilter();
		assertThat(response.supports(Type.REQUEST)).isFalse();
		assertThat(response.supports(Type.RESPONSE)).isTrue();
	}

	private void compare(boolean forwarded, boolean xForwarded, Set<String> configured) {
		List<HttpHeadersFilter> stock = new ArrayList<>();
		if (forwarded) {
			stock.add(new RemoveForwardedHeadersFilter());
		}
		if (xForwarded) {
			stock.add(new RemoveXForwardedHeadersFilter());
		}
		RemoveHopByHopHeadersFilter hopByHop = new RemoveHopByHopHeadersFilter();
		OnePassRequestHeadersFilter onePass = new OnePassRequestHeadersFilter(forwarded, xForwarded);
		if (configured != null) {
			hopByHop.setHeaders(configured);
			onePass.setHeaders(configured);
		}
		stock.add(hopByHop);
		Random random = new Random(42);
		for (int i = 0; i < 5_000; i++) {
			List<String[]> sent = randomHeaders(random);
			HttpHeaders headers = new HttpHeaders();
			DefaultHttpHeaders nettyHeaders = new DefaultHttpHeaders();
			for (String[] header : sent) {
				headers.add(header[0], header[1]);
				nettyHeaders.add(header[0], header[1]);
			}
			// Also as a server request holds them: Netty's headers, read-only, where one name may
			// come in several cases.
			HttpHeaders netty = HttpHeaders.readOnlyHttpHeaders(new HttpHeaders(new Netty4HeadersAdapter(nettyHeaders)));
			for (HttpHeaders request : List.of(headers, netty)) {
				HttpHeaders expected = HttpHeadersFilter.filter(stock, request, this.exchange, Type.REQUEST);
				HttpHeaders actual = HttpHeadersFilter.filter(List.of(onePass), request, this.exchange, Type.REQUEST);
				assertThat(actual.headerSet()).as("request %s", request)
					.containsExactlyElementsOf(expected.headerSet());
			}
		}
	}

	@Test
	void aNameSentInTwoCasesKeepsItsFirstCaseAndAllItsValuesOnce() {
		DefaultHttpHeaders sent = new DefaultHttpHeaders();
		sent.add("X-Team", "a");
		sent.add("x-team", "b");
		sent.add("Connection", "keep-alive");
		HttpHeaders request = HttpHeaders.readOnlyHttpHeaders(new HttpHeaders(new Netty4HeadersAdapter(sent)));
		HttpHeaders filtered = new OnePassRequestHeadersFilter(true, true).filter(request, this.exchange);
		assertThat(filtered.headerNames()).containsExactly("X-Team");
		assertThat(filtered.get("x-team")).containsExactly("a", "b");
	}


	/** Name and value pairs, in the order sent; a name may come again in another case. */
	private static List<String[]> randomHeaders(Random random) {
		List<String[]> headers = new ArrayList<>();
		int count = random.nextInt(12);
		for (int i = 0; i < count; i++) {
			String name = randomCase(NAMES[random.nextInt(NAMES.length)], random);
			if (name.equalsIgnoreCase("Connection")) {
				List<String> options = new ArrayList<>();
				for (int o = random.nextInt(3); o >= 0; o--) {
					options.add(randomCase(CONNECTION_OPTIONS[random.nextInt(CONNECTION_OPTIONS.length)], random));
				}
				headers.add(new String[] { name, String.join(", ", options) });
			}
			else {
				headers.add(new String[] { name, "v" + random.nextInt(3) });
			}
		}
		return headers;
	}

	private static String randomCase(String name, Random random) {
		return switch (random.nextInt(3)) {
			case 0 -> name.toLowerCase(Locale.ROOT);
			case 1 -> name.toUpperCase(Locale.ROOT);
			default -> name;
		};
	}

}
