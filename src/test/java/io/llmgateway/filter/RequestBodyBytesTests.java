package io.llmgateway.filter;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.core.io.buffer.PooledDataBuffer;

import static org.assertj.core.api.Assertions.assertThat;

class RequestBodyBytesTests {

	private final NettyDataBufferFactory buffers = new NettyDataBufferFactory(UnpooledByteBufAllocator.DEFAULT);

	private final List<DataBuffer> made = new ArrayList<>();

	@Test
	void joinsTheChunksWhateverLengthTheRequestDeclaresAndReleasesEachOne() {
		String body = "{\"model\":\"gpt-4o-mini\",\"messages\":[]}";
		for (long declared : new long[] { -1, 0, 5, body.length(), body.length() + 7, 1_000_000 }) {
			for (int i = 1; i < body.length(); i += 4) {
				int cut = i;
				Flux<DataBuffer> chunks = Flux.just(chunk(body.substring(0, cut)), chunk(body.substring(cut)));
				StepVerifier.create(new RequestBodyBytes(chunks, 1024, declared))
					.assertNext(bytes -> assertThat(new String(bytes, StandardCharsets.UTF_8))
						.as("declared %d, cut at %d", declared, cut)
						.isEqualTo(body))
					.verifyComplete();
			}
		}
		assertThat(this.made).noneMatch(RequestBodyBytesTests::allocated);
	}

	@Test
	void anEmptyBodyIsAnEmptyArray() {
		StepVerifier.create(new RequestBodyBytes(Flux.empty(), 1024, -1))
			.assertNext(bytes -> assertThat(bytes).isEmpty())
			.verifyComplete();
	}

	@Test
	void aBodyOverTheLimitFailsStopsTheUpstreamAndLeavesNothingHeld() {
		AtomicBoolean cancelled = new AtomicBoolean();
		Flux<DataBuffer> chunks = Flux.just(chunk("12345"), chunk("67890"), chunk("abc")).doOnCancel(() -> cancelled.set(true));
		StepVerifier.create(new RequestBodyBytes(chunks, 8, -1))
			.expectError(DataBufferLimitException.class)
			.verify();
		assertThat(cancelled).isTrue();
		assertThat(this.made.subList(0, 2)).noneMatch(RequestBodyBytesTests::allocated);
		this.made.subList(2, 3).stream().filter(RequestBodyBytesTests::allocated).forEach(DataBufferUtils::release);
	}

	@Test
	void aBodyOfExactlyTheLimitIsRead() {
		StepVerifier.create(new RequestBodyBytes(Flux.just(chunk("1234"), chunk("5678")), 8, 8))
			.assertNext(bytes -> assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo("12345678"))
			.verifyComplete();
	}

	@Test
	void theArrayWaitsForTheCallersDemand() {
		StepVerifier.create(new RequestBodyBytes(Flux.just(chunk("ab")), 8, 2), 0)
			.expectSubscription()
			.expectNoEvent(Duration.ofMillis(20))
			.thenRequest(1)
			.assertNext(bytes -> assertThat(bytes).hasSize(2))
			.verifyComplete();
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

}
