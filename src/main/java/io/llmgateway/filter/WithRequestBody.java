package io.llmgateway.filter;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;

import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;

/**
 * Reads a request body whole into one array, then goes on with the call that the
 * {@link Continuation} makes of it, as one operator. It stands for
 * {@code DataBufferUtils.join}, a copy into an array, {@code flatMap}, {@code deferContextual}
 * and an {@code onErrorResume} for the size limit: the same result without the list of
 * buffers, the joined buffer and the subscribers of that chain, each of which costs a
 * subscription, a hop per signal and a step in every walk to the Reactor context.
 *
 * <p>Each chunk is copied and released the moment it arrives, so no buffer is held between
 * chunks. The array is sized by the declared length when there is one, so the usual body is
 * copied once. An empty body gives an empty array.
 */
final class WithRequestBody extends Mono<Void> {

	/** What the call does once the body is known. */
	interface Continuation {

		/**
		 * The call with its body.
		 * @param body the whole body, empty when there was none
		 * @param context the Reactor context of the call's subscriber
		 */
		Mono<Void> withBody(byte[] body, ContextView context);

		/** The call whose body went past the limit (what was read of it is dropped). */
		Mono<Void> tooLarge(ContextView context);

	}

	private static final byte[] EMPTY = new byte[0];

	private final Publisher<? extends DataBuffer> body;

	private final int maxBytes;

	private final long declaredLength;

	private final Continuation continuation;

	/**
	 * @param body the body's chunks
	 * @param maxBytes the most bytes read before the body counts as too large
	 * @param declaredLength the length the request declares, or a negative number
	 * @param continuation what the call does with its body
	 */
	WithRequestBody(Publisher<? extends DataBuffer> body, int maxBytes, long declaredLength,
			Continuation continuation) {
		this.body = body;
		this.maxBytes = maxBytes;
		this.declaredLength = declaredLength;
		this.continuation = continuation;
	}

	@Override
	public void subscribe(CoreSubscriber<? super Void> actual) {
		this.body.subscribe(new Reader(actual, this));
	}

	/**
	 * Subscribes to the body, then to the call made of it; the subscriber downstream sees one
	 * subscription throughout, whose cancel reaches whichever of the two is current.
	 */
	private static final class Reader implements CoreSubscriber<DataBuffer>, Subscription {

		private static final AtomicReferenceFieldUpdater<Reader, Subscription> CURRENT = AtomicReferenceFieldUpdater
			.newUpdater(Reader.class, Subscription.class, "current");

		private final CoreSubscriber<? super Void> actual;

		private final WithRequestBody operator;

		/** The body's subscription while it is read, then the call's; cancelled for good on cancel. */
		private volatile Subscription current;

		private byte[] bytes = EMPTY;

		private int length;

		/** The body ended or went past the limit (its signals are serial, so no volatile is needed). */
		private boolean read;

		Reader(CoreSubscriber<? super Void> actual, WithRequestBody operator) {
			this.actual = actual;
			this.operator = operator;
		}

		@Override
		public Context currentContext() {
			return this.actual.currentContext();
		}

		@Override
		public void onSubscribe(Subscription subscription) {
			if (Operators.setOnce(CURRENT, this, subscription)) {
				this.actual.onSubscribe(this);
				subscription.request(Long.MAX_VALUE);
			}
		}

		@Override
		public void onNext(DataBuffer buffer) {
			try {
				if (this.read) {
					return;
				}
				int n = buffer.readableByteCount();
				if (n > this.operator.maxBytes - this.length) {
					this.read = true;
					this.bytes = EMPTY;
					this.current.cancel();
					proceed(null);
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
			long declared = this.operator.declaredLength;
			if (declared >= needed && declared <= this.operator.maxBytes) {
				return (int) declared;
			}
			long doubled = Math.max(needed, 2L * this.bytes.length);
			return (int) Math.min(this.operator.maxBytes, Math.max(doubled, 256));
		}

		@Override
		public void onError(Throwable error) {
			if (this.read) {
				Operators.onErrorDropped(error, this.actual.currentContext());
				return;
			}
			this.read = true;
			this.bytes = EMPTY;
			this.actual.onError(error);
		}

		@Override
		public void onComplete() {
			if (this.read) {
				return;
			}
			this.read = true;
			byte[] whole = (this.length == this.bytes.length) ? this.bytes : Arrays.copyOf(this.bytes, this.length);
			this.bytes = EMPTY;
			proceed(whole);
		}

		/** Goes on with the call: with its body, or as too large when {@code whole} is null. */
		private void proceed(byte[] whole) {
			Mono<Void> call;
			try {
				ContextView context = this.actual.currentContext();
				call = (whole != null) ? this.operator.continuation.withBody(whole, context)
						: this.operator.continuation.tooLarge(context);
			}
			catch (Throwable ex) {
				this.actual.onError(Operators.onOperatorError(this, ex, this.actual.currentContext()));
				return;
			}
			call.subscribe(new CallSubscriber(this));
		}

		@Override
		public void request(long n) {
			// Nothing is emitted downstream; the body and the call are read unbounded.
		}

		@Override
		public void cancel() {
			Operators.terminate(CURRENT, this);
		}

	}

	/** The call's subscriber: its end is the operator's end. */
	private static final class CallSubscriber implements CoreSubscriber<Void> {

		private final Reader reader;

		CallSubscriber(Reader reader) {
			this.reader = reader;
		}

		@Override
		public Context currentContext() {
			return this.reader.actual.currentContext();
		}

		@Override
		public void onSubscribe(Subscription subscription) {
			// Takes the body's place; cancelled at once if the subscriber downstream already left.
			if (Operators.replace(Reader.CURRENT, this.reader, subscription)) {
				subscription.request(Long.MAX_VALUE);
			}
		}

		@Override
		public void onNext(Void nothing) {
		}

		@Override
		public void onError(Throwable error) {
			this.reader.actual.onError(error);
		}

		@Override
		public void onComplete() {
			this.reader.actual.onComplete();
		}

	}

}
