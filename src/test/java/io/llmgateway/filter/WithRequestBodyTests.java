package io.llmgateway.filter;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;
import reactor.util.context.ContextView;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.core.io.buffer.PooledDataBuffer;

import static org.assertj.core.api.Assertions.assertThat;

class WithRequestBodyTests {

	private final NettyDataBufferFactory buffers = new NettyDataBufferFactory(UnpooledByteBufAllocator.DEFAULT);

	private final List<DataBuffer> made = new ArrayList<>();

	@Test
	void joinsTheChunksWhateverLengthTheRequestDeclaresAndReleasesEachOne() {
		String body = "{\"model\":\"gpt-4o-mini\",\"messages\":[]}";
		for (long declared : new long[] { -1, 0, 5, body.length(), body.length() + 7, 1_000_000 }) {
			for (int i = 1; i < body.length(); i += 4) {
				Recorder call = new Recorder(Mono.empty());
				Flux<DataBuffer> chunks = Flux.just(chunk(body.substring(0, i)), chunk(body.substring(i)));
				StepVerifier.create(new WithRequestBody(chunks, 1024, declared, call)).verifyComplete();
				assertThat(call.body()).as("declared %d, cut at %d", declared, i).isEqualTo(body);
			}
		}
		assertThat(this.made).noneMatch(WithRequestBodyTests::allocated);
	}

	@Test
	void anEmptyBodyIsAnEmptyArray() {
		Recorder call = new Recorder(Mono.empty());
		StepVerifier.create(new WithRequestBody(Flux.empty(), 1024, -1, call)).verifyComplete();
		assertThat(call.body.get()).isEmpty();
	}

	@Test
	void theCallsEndIsTheEnd() {
		Recorder call = new Recorder(Mono.error(new IllegalStateException("upstream failed")));
		StepVerifier.create(new WithRequestBody(Flux.just(chunk("{}")), 1024, 2, call))
			.verifyErrorMessage("upstream failed");
		Recorder throwing = new Recorder(null);
		StepVerifier.create(new WithRequestBody(Flux.just(chunk("{}")), 1024, 2, throwing))
			.verifyError(NullPointerException.class);
	}

	@Test
	void theCallSeesTheSubscribersContext() {
		Recorder call = new Recorder(Mono.empty());
		StepVerifier.create(new WithRequestBody(Flux.just(chunk("{}")), 1024, 2, call).contextWrite(c -> c.put("k", "v")))
			.verifyComplete();
		assertThat(call.context.get().<String>getOrDefault("k", null)).isEqualTo("v");
	}

	@Test
	void aBodyOverTheLimitStopsTheUpstreamGoesOnAsTooLargeAndLeavesNothingHeld() {
		AtomicBoolean cancelled = new AtomicBoolean();
		Recorder call = new Recorder(Mono.empty());
		Flux<DataBuffer> chunks = Flux.just(chunk("12345"), chunk("67890"), chunk("abc"))
			.doOnCancel(() -> cancelled.set(true));
		StepVerifier.create(new WithRequestBody(chunks, 8, -1, call)).verifyComplete();
		assertThat(cancelled).isTrue();
		assertThat(call.tooLarge).isTrue();
		assertThat(call.body.get()).isNull();
		assertThat(this.made.subList(0, 2)).noneMatch(WithRequestBodyTests::allocated);
		this.made.subList(2, 3).stream().filter(WithRequestBodyTests::allocated).forEach(DataBufferUtils::release);
	}

	@Test
	void aBodyOfExactlyTheLimitIsRead() {
		Recorder call = new Recorder(Mono.empty());
		StepVerifier.create(new WithRequestBody(Flux.just(chunk("1234"), chunk("5678")), 8, 8, call))
			.verifyComplete();
		assertThat(call.body()).isEqualTo("12345678");
	}

	@Test
	void aCancelReachesTheBodyWhileItIsReadAndTheCallOnceItRuns() {
		TestPublisher<DataBuffer> body = TestPublisher.create();
		Recorder unused = new Recorder(Mono.empty());
		StepVerifier.create(new WithRequestBody(body, 1024, -1, unused))
			.then(() -> body.next(chunk("{")))
			.thenCancel()
			.verify();
		body.assertCancelled();
		assertThat(unused.body.get()).isNull();

		AtomicBoolean callCancelled = new AtomicBoolean();
		Recorder running = new Recorder(Mono.<Void>never().doOnCancel(() -> callCancelled.set(true)));
		StepVerifier.create(new WithRequestBody(Flux.just(chunk("{}")), 1024, 2, running))
			.expectSubscription()
			.then(() -> assertThat(running.body()).isEqualTo("{}"))
			.thenCancel()
			.verify();
		assertThat(callCancelled).isTrue();
		assertThat(this.made).noneMatch(WithRequestBodyTests::allocated);
	}

	private DataBuffer chunk(String text) {
		DataBuffer buffer = this.buffers
			.wrap(UnpooledByteBufAllocator.DEFAULT.buffer().writeBytes(text.getBytes(StandardCharsets.UTF_8)));
		this.made.add(buffer);
		return buffer;
	}

	private static boolean allocated(DataBuffer buffer) {
		return ((PooledDataBuffer) buffer).isAllocated();
	}

	/** Records what the call was given and answers with a fixed result (null: throws). */
	private static final class Recorder implements WithRequestBody.Continuation {

		final AtomicReference<byte[]> body = new AtomicReference<>();

		final AtomicReference<ContextView> context = new AtomicReference<>();

		volatile boolean tooLarge;

		private final Mono<Void> result;

		Recorder(Mono<Void> result) {
			this.result = result;
		}

		String body() {
			return new String(this.body.get(), StandardCharsets.UTF_8);
		}

		@Override
		public Mono<Void> withBody(byte[] body, ContextView context) {
			this.body.set(body);
			this.context.set(context);
			if (this.result == null) {
				throw new NullPointerException("no call");
			}
			return this.result;
		}

		@Override
		public Mono<Void> tooLarge(ContextView context) {
			this.tooLarge = true;
			return this.result;
		}

	}

}
