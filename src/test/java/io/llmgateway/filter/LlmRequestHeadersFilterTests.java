package io.llmgateway.filter;

import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter.Type;
import org.springframework.http.HttpHeaders;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The header edits of an LLM call, applied to the headers Spring Cloud Gateway is about to send
 * upstream.
 */
class LlmRequestHeadersFilterTests {

	private final LlmRequestHeadersFilter filter = new LlmRequestHeadersFilter();

	@Test
	void editsTheCopyTheOtherFiltersMadeInPlace() {
		ServerWebExchange exchange = exchangeWith(edits(true));
		HttpHeaders input = clientHeaders();

		HttpHeaders sent = this.filter.filter(input, exchange);

		assertThat(sent).isSameAs(input);
		assertThat(sent.get("traceparent")).containsExactly("00-gateway-span-01");
		assertThat(sent.getFirst(HttpHeaders.ACCEPT_ENCODING)).isEqualTo("identity");
		assertThat(sent.getFirst("X-Team")).isEqualTo("blue");
	}

	@Test
	void copiesHeadersThatCannotBeChanged() {
		ServerWebExchange exchange = exchangeWith(edits(false));
		HttpHeaders readOnly = HttpHeaders.readOnlyHttpHeaders(clientHeaders());

		HttpHeaders sent = this.filter.filter(readOnly, exchange);

		assertThat(sent).isNotSameAs(readOnly);
		assertThat(readOnly.getFirst("traceparent")).isEqualTo("00-client-span-01");
		assertThat(sent.get("traceparent")).containsExactly("00-gateway-span-01");
		assertThat(sent.getFirst(HttpHeaders.ACCEPT_ENCODING)).isEqualTo("gzip;q=0.8");
		assertThat(sent.getFirst("X-Team")).isEqualTo("blue");
	}

	@Test
	void leavesTheBodysLengthAlone() {
		HttpHeaders input = clientHeaders();
		input.setContentLength(12);

		HttpHeaders sent = this.filter.filter(input, exchangeWith(edits(true)));

		// The length goes on the request before the route filters (LlmObservationFilter), not here.
		assertThat(sent.getContentLength()).isEqualTo(12);
		assertThat(sent.getFirst(HttpHeaders.TRANSFER_ENCODING)).isEqualTo("chunked");
	}

	@Test
	void otherCallsAreLeftAlone() {
		MockServerWebExchange plain = MockServerWebExchange.from(MockServerHttpRequest.post("/plain"));
		HttpHeaders input = clientHeaders();

		assertThat(this.filter.filter(input, plain)).isSameAs(input);
		assertThat(input.getFirst(HttpHeaders.TRANSFER_ENCODING)).isEqualTo("chunked");
		assertThat(this.filter.supports(Type.REQUEST)).isTrue();
		assertThat(this.filter.supports(Type.RESPONSE)).isFalse();
	}

	@Test
	void keepsOnlyEncodingsTheGatewayCanRead() {
		assertThat(LlmRequestHeadersFilter.readableEncodings("br, gzip;q=0.8, zstd")).isEqualTo("gzip;q=0.8");
		assertThat(LlmRequestHeadersFilter.readableEncodings("GZIP, Deflate, identity;q=0"))
			.isEqualTo("GZIP, Deflate, identity;q=0");
		assertThat(LlmRequestHeadersFilter.readableEncodings("br")).isEqualTo("identity");
		assertThat(LlmRequestHeadersFilter.readableEncodings("x-gzip ; q=0.5")).isEqualTo("x-gzip ; q=0.5");
	}

	private static LlmRequestHeadersFilter.Edits edits(boolean usageInjected) {
		return new LlmRequestHeadersFilter.Edits(traceHeaders(), usageInjected);
	}

	private static Map<String, String> traceHeaders() {
		return Map.of("traceparent", "00-gateway-span-01");
	}

	private static HttpHeaders clientHeaders() {
		HttpHeaders headers = new HttpHeaders();
		headers.set(HttpHeaders.TRANSFER_ENCODING, "chunked");
		headers.set("traceparent", "00-client-span-01");
		headers.set(HttpHeaders.ACCEPT_ENCODING, "br, gzip;q=0.8");
		headers.set("X-Team", "blue");
		return headers;
	}

	/** An exchange of an LLM call carrying {@code edits}. */
	private static ServerWebExchange exchangeWith(LlmRequestHeadersFilter.Edits edits) {
		MockServerWebExchange exchange = MockServerWebExchange.from(MockServerHttpRequest.post("/llm/v1/chat/completions"));
		exchange.getAttributes().put(LlmRequestHeadersFilter.EDITS_ATTR, edits);
		return exchange;
	}

}
