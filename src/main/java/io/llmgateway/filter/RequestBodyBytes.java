package io.llmgateway.filter;

import java.util.Arrays;

import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;

/**
 * A request body read whole into one array, as one operator: each chunk is copied and released
 * the moment it arrives, so no buffer is held between chunks. It stands for
 * {@code DataBufferUtils.join} followed by a copy into an array: the same result without the
 * list of buffers, the joined buffer and the five subscribers of that chain. The array is sized
 * by the declared length when there is one, so the usual body is copied once.
 *
 * <p>An empty body gives an empty array; a body over the limit fails with a
 * {@link DataBufferLimitException}, as {@code join} does.
 */
final class RequestBodyBytes extends Mono<byte[]> {

	private static final byte[] EMPTY = new byte[0];

	private final Publisher<? extends DataBuffer> body;

	private final int maxBytes;

	private final long declaredLength;

	/**
	 * @param body the body's chunks
	 * @param maxBytes the most bytes read before the body counts as too large
	 * @param declaredLength the length the request declares, or a negative number
	 */
	RequestBodyBytes(Publisher<? extends DataBuffer> body, int maxBytes, long declaredLength) {
		this.body = body;
		this.maxBytes = maxBytes;
		this.declaredLength = declaredLength;
	}

	@Override
	public void subscribe(CoreSubscriber<? super byte[]> actual) {
		this.body.subscribe(new Reader(actual, this.maxBytes, this.declaredLength));
	}

	private static final class Reader extends Operators.MonoSubscriber<DataBuffer, byte[]> {

		private final int maxBytes;

		private final long declaredLength;

		private Subscription upstream;

		private byte[] bytes = EMPTY;

		private int length;

		private boolean done;

		Reader(CoreSubscriber<? super byte[]> actual, int maxBytes, long declaredLength) {
			super(actual);
			this.maxBytes = maxBytes;
			this.declaredLength = declaredLength;
		}

		@Override
		public void onSubscribe(Subscription subscription) {
			if (Operators.validate(this.upstream, subscription)) {
				this.upstream = subscription;
				this.actual.onSubscribe(this);
				subscription.request(Long.MAX_VALUE);
			}
		}

		@Override
		public void onNext(DataBuffer buffer) {
			try {
				if (this.done) {
					return;
				}
				int n = buffer.readableByteCount();
				if (n > this.maxBytes - this.length) {
					this.done = true;
					this.bytes = EMPTY;
					this.upstream.cancel();
					this.actual.onError(new DataBufferLimitException(
							"Exceeded limit on max bytes to buffer : " + this.maxBytes));
					return;
				}
				if (this.length + n > this.bytes.length) {
					this.bytes = Arrays.copyOf(this.bytes, capacityFor(this.length + n));
				}
				buffer.read(this.bytes, this.length, n);
				this.length += n;
			}
			finally {
				DataBufferUtils.release(buffer);
			}
		}

		/** The declared length if it holds what has come; else doubled, within the limit. */
		private int capacityFor(int needed) {
			if (this.declaredLength >= needed && this.declaredLength <= this.maxBytes) {
				return (int) this.declaredLength;
			}
			long doubled = Math.max(needed, 2L * this.bytes.length);
			return (int) Math.min(this.maxBytes, Math.max(doubled, 256));
		}

		@Override
		public void onError(Throwable error) {
			if (this.done) {
				Operators.onErrorDropped(error, this.actual.currentContext());
				return;
			}
			this.done = true;
			this.bytes = EMPTY;
			this.actual.onError(error);
		}

		@Override
		public void onComplete() {
			if (this.done) {
				return;
			}
			this.done = true;
			byte[] whole = (this.length == this.bytes.length) ? this.bytes : Arrays.copyOf(this.bytes, this.length);
			this.bytes = EMPTY;
			complete(whole);
		}

		@Override
		public void cancel() {
			super.cancel();
			this.upstream.cancel();
		}

	}

}
