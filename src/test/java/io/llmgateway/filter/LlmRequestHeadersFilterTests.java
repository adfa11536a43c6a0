package io.llmgateway.filter;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter.Type;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The header edits of an LLM call, applied to the headers Spring Cloud Gateway is about to send
 * upstream.
 */
class LlmRequestHeadersFilterTests {

	private static final byte[] SENT = "{\"stream_options\":{\"include_usage\":true},\"stream\":true}"
		.getBytes(StandardCharsets.UTF_8);

	private final LlmRequestHeadersFilter filter = new LlmRequestHeadersFilter();

	private final Flux<DataBuffer> body = Flux.defer(() -> Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(SENT)));

	@Test
	void editsTheCopyTheOtherFiltersMadeInPlace() {
		ServerWebExchange exchange = exchangeSending(this.body, edits(true));
		HttpHeaders input = clientHeaders();

		HttpHeaders sent = this.filter.filter(input, exchange);

		assertThat(sent).isSameAs(input);
		assertThat(sent.getContentLength()).isEqualTo(SENT.length);
		assertThat(sent.containsHeader(HttpHeaders.TRANSFER_ENCODING)).isFalse();
		assertThat(sent.get("traceparent")).containsExactly("00-gateway-span-01");
		assertThat(sent.getFirst(HttpHeaders.ACCEPT_ENCODING)).isEqualTo("identity");
		assertThat(sent.getFirst("X-Team")).isEqualTo("blue");
	}

	@Test
	void copiesHeadersThatCannotBeChanged() {
		ServerWebExchange exchange = exchangeSending(this.body, edits(false));
		HttpHeaders readOnly = HttpHeaders.readOnlyHttpHeaders(clientHeaders());

		HttpHeaders sent = this.filter.filter(readOnly, exchange);

		assertThat(sent).isNotSameAs(readOnly);
		assertThat(readOnly.getFirst("traceparent")).isEqualTo("00-client-span-01");
		assertThat(sent.getContentLength()).isEqualTo(SENT.length);
		assertThat(sent.get("traceparent")).containsExactly("00-gateway-span-01");
		assertThat(sent.getFirst(HttpHeaders.ACCEPT_ENCODING)).isEqualTo("gzip;q=0.8");
		assertThat(sent.getFirst("X-Team")).isEqualTo("blue");
	}

	@Test
	void leavesTheLengthToAFilterThatReplacedTheBody() {
		ServerWebExchange edited = exchangeSending(Flux.empty(), edits(true));
		HttpHeaders input = clientHeaders();

		HttpHeaders sent = this.filter.filter(input, edited);

		assertThat(sent.getFirst(HttpHeaders.TRANSFER_ENCODING)).isEqualTo("chunked");
		assertThat(sent.getContentLength()).isEqualTo(-1);
		assertThat(sent.get("traceparent")).containsExactly("00-gateway-span-01");
	}

	@Test
	void anEmptyBodyHasNoLength() {
		LlmRequestHeadersFilter.Edits edits = new LlmRequestHeadersFilter.Edits(this.body, 0, traceHeaders(), false);
		HttpHeaders input = clientHeaders();
		input.setContentLength(12);

		HttpHeaders sent = this.filter.filter(input, exchangeSending(this.body, edits));

		assertThat(sent.containsHeader(HttpHeaders.CONTENT_LENGTH)).isFalse();
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

	private LlmRequestHeadersFilter.Edits edits(boolean usageInjected) {
		return new LlmRequestHeadersFilter.Edits(this.body, SENT.length, traceHeaders(), usageInjected);
	}

	private static HttpHeaders traceHeaders() {
		HttpHeaders carrier = new HttpHeaders();
		carrier.set("traceparent", "00-gateway-span-01");
		return carrier;
	}

	private static HttpHeaders clientHeaders() {
		HttpHeaders headers = new HttpHeaders();
		headers.set(HttpHeaders.TRANSFER_ENCODING, "chunked");
		headers.set("traceparent", "00-client-span-01");
		headers.set(HttpHeaders.ACCEPT_ENCODING, "br, gzip;q=0.8");
		headers.set("X-Team", "blue");
		return headers;
	}

	/** An exchange whose request sends {@code body}, carrying {@code edits}. */
	private static ServerWebExchange exchangeSending(Flux<DataBuffer> body, LlmRequestHeadersFilter.Edits edits) {
		MockServerWebExchange client = MockServerWebExchange.from(MockServerHttpRequest.post("/llm/v1/chat/completions"));
		ServerWebExchange exchange = client.mutate().request(new ServerHttpRequestDecorator(client.getRequest()) {
			@Override
			public Flux<DataBuffer> getBody() {
				return body;
			}
		}).build();
		exchange.getAttributes().put(LlmRequestHeadersFilter.EDITS_ATTR, edits);
		return exchange;
	}

}
