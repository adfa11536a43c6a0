package io.llmgateway.filter;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.channel.AbortedException;

import org.springframework.cloud.gateway.filter.GatewayFilterChain;
import org.springframework.cloud.gateway.support.ServerWebExchangeUtils;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.web.server.ServerWebExchange;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When a request is sent to the upstream once more, and when it must not be. The routing step is
 * a stand-in that reads the body it is given, as Netty's routing filter does, then fails with the
 * next scripted error or succeeds. {@code PooledConnectionTests} and {@code BadInputTests} cover
 * the same rules against real sockets.
 */
class UpstreamResendFilterTests {

	static final String BODY = "{\"model\":\"m\",\"messages\":[]}";

	final UpstreamResendFilter filter = new UpstreamResendFilter();

	@Test
	void aBodyHeldInMemoryIsSentAgainWhenTheUpstreamProvablyGotNothing() {
		Routing routing = new Routing(AbortedException.beforeSend());
		assertThat(run(replayable(MockServerHttpRequest.post("/v1/chat/completions")), routing)).isNull();
		assertThat(routing.sent).containsExactly(BODY, BODY);
	}

	@Test
	void aHeldBodyThatAFilterReplacedIsNotSentAgain() {
		ServerWebExchange held = replayable(MockServerHttpRequest.post("/v1/chat/completions"));
		// A route filter further in put a body of its own in place of the one held in memory.
		ServerWebExchange replaced = held.mutate().request(withBody(held.getRequest(), body("rewritten"))).build();
		Routing routing = new Routing(AbortedException.beforeSend());
		assertThat(run(replaced, routing)).isInstanceOf(AbortedException.class);
		assertThat(routing.sent).containsExactly("rewritten");
	}

	@Test
	void aBodylessIdempotentRequestIsSentAgainWhenTheConnectionBrokeBeforeAnyAnswer() {
		Routing routing = new Routing(new IOException("Connection reset by peer"));
		assertThat(run(exchange(MockServerHttpRequest.get("/v1/models").build()), routing)).isNull();
		assertThat(routing.sent).containsExactly("", "");
	}

	@Test
	void aHeldBodyOfANonIdempotentRequestIsNotSentAgainAfterAReset() {
		// The upstream may have acted on it: a reset after sending proves nothing.
		Routing routing = new Routing(new IOException("Connection reset by peer"));
		ServerWebExchange exchange = replayable(MockServerHttpRequest.post("/v1/chat/completions"));
		assertThat(run(exchange, routing)).isInstanceOf(IOException.class);
		assertThat(routing.sent).containsExactly(BODY);
	}

	@Test
	void aBodyStreamedFromTheClientIsNeverSentAgain() {
		Routing routing = new Routing(AbortedException.beforeSend());
		ServerWebExchange exchange = exchange(MockServerHttpRequest.post("/v1/chat/completions")
			.contentLength(BODY.length())
			.body(BODY));
		assertThat(run(exchange, routing)).isInstanceOf(AbortedException.class);
		assertThat(routing.sent).containsExactly(BODY);
	}

	@Test
	void nothingIsSentAgainOnceTheUpstreamAnswered() {
		Routing routing = new Routing(new IOException("Connection reset by peer"));
		routing.answerBeforeFailing = true;
		ServerWebExchange exchange = exchange(MockServerHttpRequest.get("/v1/models").build());
		assertThat(run(exchange, routing)).isInstanceOf(IOException.class);
		assertThat(routing.sent).hasSize(1);
	}

	@Test
	void aForwardRoutesLocalHandlerIsNotRunTwice() {
		Routing routing = new Routing(new IOException("Connection reset by peer"));
		ServerWebExchange exchange = exchange(MockServerHttpRequest.get("/v1/models").build());
		exchange.getAttributes().put(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR, URI.create("forward:/local"));
		assertThat(run(exchange, routing)).isInstanceOf(IOException.class);
		assertThat(routing.sent).hasSize(1);
	}

	@Test
	void aRequestIsSentAgainOnceAtMost() {
		Routing routing = new Routing(AbortedException.beforeSend(), AbortedException.beforeSend());
		ServerWebExchange exchange = replayable(MockServerHttpRequest.post("/v1/chat/completions"));
		assertThat(run(exchange, routing)).isInstanceOf(AbortedException.class);
		assertThat(routing.sent).containsExactly(BODY, BODY);
	}

	/** Runs the filter and returns the error the call ended with, or {@code null}. */
	private Throwable run(ServerWebExchange exchange, GatewayFilterChain routing) {
		AtomicReference<Throwable> failure = new AtomicReference<>();
		this.filter.filter(exchange, routing).onErrorResume(error -> {
			failure.set(error);
			return Mono.empty();
		}).block(Duration.ofSeconds(5));
		return failure.get();
	}

	/** An exchange routed to an HTTP upstream. */
	private static ServerWebExchange exchange(MockServerHttpRequest request) {
		MockServerWebExchange exchange = MockServerWebExchange.from(request);
		exchange.getAttributes()
			.put(ServerWebExchangeUtils.GATEWAY_REQUEST_URL_ATTR, URI.create("http://127.0.0.1:9/v1/x"));
		return exchange;
	}

	/**
	 * An exchange whose body is held in memory and named as such, with its length, as the LLM
	 * filter does.
	 */
	private static ServerWebExchange replayable(MockServerHttpRequest.BodyBuilder request) {
		Flux<DataBuffer> body = body(BODY);
		ServerWebExchange exchange = exchange(request.contentLength(BODY.length()).build());
		ServerWebExchange held = exchange.mutate().request(withBody(exchange.getRequest(), body)).build();
		held.getAttributes().put(UpstreamResendFilter.REPLAYABLE_BODY_ATTR, body);
		return held;
	}

	private static Flux<DataBuffer> body(String text) {
		return Flux.defer(() -> Flux.just(DefaultDataBufferFactory.sharedInstance.wrap(text.getBytes(StandardCharsets.UTF_8))));
	}

	private static ServerHttpRequest withBody(ServerHttpRequest request, Flux<DataBuffer> body) {
		return new ServerHttpRequestDecorator(request) {
			@Override
			public Flux<DataBuffer> getBody() {
				return body;
			}
		};
	}

	/** Reads the body it is given, then fails with the next scripted error, or succeeds. */
	static final class Routing implements GatewayFilterChain {

		final Deque<Throwable> failures;

		final List<String> sent = new ArrayList<>();

		boolean answerBeforeFailing;

		Routing(Throwable... failures) {
			this.failures = new ArrayDeque<>(List.of(failures));
		}

		@Override
		public Mono<Void> filter(ServerWebExchange exchange) {
			return DataBufferUtils.join(exchange.getRequest().getBody()).map(buffer -> {
				String text = buffer.toString(StandardCharsets.UTF_8);
				DataBufferUtils.release(buffer);
				return text;
			}).defaultIfEmpty("").flatMap(text -> {
				this.sent.add(text);
				if (this.answerBeforeFailing) {
					exchange.getAttributes().put(ServerWebExchangeUtils.CLIENT_RESPONSE_CONN_ATTR, "answered");
				}
				Throwable failure = this.failures.poll();
				return (failure != null) ? Mono.error(failure) : Mono.empty();
			});
		}

	}

}
