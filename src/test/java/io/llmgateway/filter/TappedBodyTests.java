package io.llmgateway.filter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.timeout.ReadTimeoutException;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;
import reactor.test.util.RaceTestUtils;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.core.io.buffer.PooledDataBuffer;

import static org.assertj.core.api.Assertions.assertThat;

class TappedBodyTests {

	private final NettyDataBufferFactory buffers = new NettyDataBufferFactory(UnpooledByteBufAllocator.DEFAULT);

	@Test
	void passesEveryChunkOnInOrderAndEndsOnce() {
		Recorder listener = new Recorder();
		List<DataBuffer> sent = new ArrayList<>();
		StepVerifier.create(new TappedBody(Flux.just(chunk("a"), chunk("b"), chunk("c")), listener))
			.recordWith(() -> sent)
			.expectNextCount(3)
			.verifyComplete();
		assertThat(sent).extracting(TappedBodyTests::text).containsExactly("a", "b", "c");
		assertThat(listener.seen).containsExactly("a", "b", "c");
		assertThat(listener.completions).hasValue(1);
		assertThat(listener.cancels).hasValue(0);
		sent.forEach(DataBufferUtils::release);
	}

	@Test
	void aHeldChunkAsksTheUpstreamForTheNextOneWithoutUsingTheClientsDemand() {
		Recorder listener = new Recorder();
		listener.holdFirst = true;
		List<Long> upstreamRequests = new ArrayList<>();
		Flux<DataBuffer> upstream = Flux.just(chunk("held"), chunk("b")).doOnRequest(upstreamRequests::add);
		StepVerifier.create(new TappedBody(upstream, listener), 1)
			.assertNext(buffer -> assertThat(release(buffer)).isEqualTo("b"))
			.verifyComplete();
		assertThat(upstreamRequests).containsExactly(1L, 1L);
	}

	@Test
	void theTailWaitsForDemandThenGoesOutBeforeTheEnd() {
		Recorder listener = new Recorder();
		DataBuffer tail = chunk("tail");
		listener.tail = tail;
		StepVerifier.create(new TappedBody(Flux.just(chunk("a")), listener), 1)
			.assertNext(buffer -> assertThat(release(buffer)).isEqualTo("a"))
			.expectNoEvent(Duration.ofMillis(50))
			.thenRequest(1)
			.assertNext(buffer -> assertThat(release(buffer)).isEqualTo("tail"))
			.verifyComplete();
		assertThat(allocated(tail)).isFalse();
	}

	@Test
	void aCancelWhileTheTailWaitsReleasesItAndTellsTheListenerOnce() {
		Recorder listener = new Recorder();
		DataBuffer tail = chunk("tail");
		listener.tail = tail;
		TestPublisher<DataBuffer> upstream = TestPublisher.create();
		StepVerifier.create(new TappedBody(upstream, listener), 1)
			.then(() -> upstream.next(chunk("a")))
			.assertNext(DataBufferUtils::release)
			.then(upstream::complete)
			.then(() -> assertThat(listener.completions).hasValue(1))
			.thenCancel()
			.verify();
		assertThat(allocated(tail)).isFalse();
		assertThat(listener.cancels).hasValue(1);
	}

	@Test
	void theTailGoesOutExactlyOnceWhenTheEndAndTheClientsDemandRace() {
		for (int i = 0; i < 2_000; i++) {
			Recorder listener = new Recorder();
			DataBuffer tail = chunk("tail");
			listener.tail = tail;
			TestPublisher<DataBuffer> upstream = TestPublisher.create();
			List<String> received = new ArrayList<>();
			AtomicInteger completions = new AtomicInteger();
			AtomicReference<Subscription> subscription = new AtomicReference<>();
			new TappedBody(upstream, listener).subscribe(new Subscriber<>() {

				@Override
				public void onSubscribe(Subscription s) {
					subscription.set(s);
				}

				@Override
				public void onNext(DataBuffer buffer) {
					received.add(release(buffer));
				}

				@Override
				public void onError(Throwable error) {
				}

				@Override
				public void onComplete() {
					completions.incrementAndGet();
				}

			});
			RaceTestUtils.race(upstream::complete, () -> subscription.get().request(1));
			assertThat(received).containsExactly("tail");
			assertThat(completions).hasValue(1);
			assertThat(allocated(tail)).isFalse();
		}
	}

	@Test
	void anErrorReachesTheListenerAsRaisedAndTheClientAsTheClientsKind() {
		Recorder listener = new Recorder();
		Flux<DataBuffer> upstream = Flux.concat(Flux.just(chunk("a")), Flux.error(ReadTimeoutException.INSTANCE));
		StepVerifier.create(new TappedBody(upstream, listener))
			.assertNext(DataBufferUtils::release)
			.expectErrorSatisfies(error -> assertThat(error).isInstanceOf(Failures.UpstreamBrokeOff.class)
				.hasMessageContaining("timeout")
				.satisfies(brokeOff -> assertThat(brokeOff.getSuppressed()).containsExactly(ReadTimeoutException.INSTANCE)))
			.verify();
		assertThat(listener.error).isSameAs(ReadTimeoutException.INSTANCE);
		assertThat(listener.completions).hasValue(0);
	}

	@Test
	void aChunkThatArrivesAfterTheClientLeftIsReleasedUnread() {
		Recorder listener = new Recorder();
		AtomicReference<Subscriber<? super DataBuffer>> subscriber = new AtomicReference<>();
		Publisher<DataBuffer> upstream = signalledByHand(subscriber);
		StepVerifier.create(new TappedBody(upstream, listener)).thenCancel().verify();
		DataBuffer late = chunk("late");
		subscriber.get().onNext(late);
		assertThat(allocated(late)).isFalse();
		assertThat(listener.seen).isEmpty();
		assertThat(listener.cancels).hasValue(1);
	}

	@Test
	void anErrorAfterTheClientLeftIsNeitherCountedNorLoggedAsDropped() {
		Recorder listener = new Recorder();
		AtomicReference<Subscriber<? super DataBuffer>> subscriber = new AtomicReference<>();
		Publisher<DataBuffer> upstream = signalledByHand(subscriber);
		List<Throwable> dropped = new ArrayList<>();
		Hooks.onErrorDropped(dropped::add);
		try {
			StepVerifier.create(new TappedBody(upstream, listener)).thenCancel().verify();
			subscriber.get().onError(new IOException("Connection reset by peer"));
		}
		finally {
			Hooks.resetOnErrorDropped();
		}
		assertThat(dropped).isEmpty();
		assertThat(listener.error).isNull();
		assertThat(listener.cancels).hasValue(1);
	}

	private DataBuffer chunk(String text) {
		return this.buffers.wrap(UnpooledByteBufAllocator.DEFAULT.buffer().writeBytes(text.getBytes(StandardCharsets.UTF_8)));
	}

	/**
	 * An upstream that only keeps its subscriber, so a test can signal to it by hand after the
	 * client left (a real one might still be mid-signal then); it ignores requests and cancel.
	 */
	private static Publisher<DataBuffer> signalledByHand(AtomicReference<Subscriber<? super DataBuffer>> subscriber) {
		return s -> {
			subscriber.set(s);
			s.onSubscribe(new Subscription() {

				@Override
				public void request(long n) {
				}

				@Override
				public void cancel() {
				}

			});
		};
	}

	private static String text(DataBuffer buffer) {
		return buffer.toString(buffer.readPosition(), buffer.readableByteCount(), StandardCharsets.UTF_8);
	}

	private static String release(DataBuffer buffer) {
		String text = text(buffer);
		DataBufferUtils.release(buffer);
		return text;
	}

	/** Passes chunks on (or holds the first), and records what it was told. */
	private static final class Recorder implements TappedBody.Listener {

		final List<String> seen = new ArrayList<>();

		final AtomicInteger completions = new AtomicInteger();

		final AtomicInteger cancels = new AtomicInteger();

		volatile Throwable error;

		boolean holdFirst;

		DataBuffer tail;

		@Override
		public DataBuffer onNext(DataBuffer buffer) {
			this.seen.add(text(buffer));
			if (this.holdFirst && this.seen.size() == 1) {
				DataBufferUtils.release(buffer);
				return null;
			}
			return buffer;
		}

		@Override
		public DataBuffer onComplete() {
			this.completions.incrementAndGet();
			return this.tail;
		}

		@Override
		public void onError(Throwable error) {
			this.error = error;
		}

		@Override
		public void onCancel() {
			this.cancels.incrementAndGet();
		}

	}

	private static boolean allocated(DataBuffer buffer) {
		return ((PooledDataBuffer) buffer).isAllocated();
	}

}
