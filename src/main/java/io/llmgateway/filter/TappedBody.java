package io.llmgateway.filter;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;

import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;

/**
 * A response body on its way to the client, handed through a {@link Listener} chunk by chunk, as
 * one operator. It does what {@code map}, {@code filter}, {@code concatWith}, {@code doOnError},
 * {@code onErrorMap} and {@code doOnCancel} did together: every subscriber in a chain costs a
 * subscription, a hop per signal and a step in each walk to the Reactor context, and a response
 * is all hops and no work when it is one small JSON buffer.
 *
 * <p>Ownership: what the listener returns is the client's (it goes downstream); a chunk that
 * arrives after the client cancelled, and a held-back tail nobody asked for any more, are
 * released here.
 */
final class TappedBody extends Flux<DataBuffer> {

	/** What is done with the body as it goes by. */
	interface Listener {

		/** One chunk: returns what goes on to the client, or {@code null} for nothing now. */
		DataBuffer onNext(DataBuffer buffer);

		/** The body ended: returns bytes still held back, or {@code null}. */
		DataBuffer onComplete();

		/** The body failed, with the error as the upstream raised it. */
		void onError(Throwable error);

		/** The client stopped reading before the body ended. */
		void onCancel();

	}

	private final Publisher<? extends DataBuffer> source;

	private final Listener listener;

	TappedBody(Publisher<? extends DataBuffer> source, Listener listener) {
		this.source = source;
		this.listener = listener;
	}

	@Override
	public void subscribe(CoreSubscriber<? super DataBuffer> actual) {
		this.source.subscribe(new TapSubscriber(actual, this.listener));
	}

	private static final class TapSubscriber implements CoreSubscriber<DataBuffer>, Subscription {

		private static final int RUNNING = 0;

		/** The body ended with a tail that waits for the client's demand. */
		private static final int TAIL_WAITING = 1;

		private static final int FINISHED = 2;

		private static final int CANCELLED = 3;

		private static final AtomicLongFieldUpdater<TapSubscriber> REQUESTED = AtomicLongFieldUpdater
			.newUpdater(TapSubscriber.class, "requested");

		private static final AtomicIntegerFieldUpdater<TapSubscriber> STATE = AtomicIntegerFieldUpdater
			.newUpdater(TapSubscriber.class, "state");

		private final CoreSubscriber<? super DataBuffer> actual;

		private final Listener listener;

		private Subscription upstream;

		/** The upstream signalled its end (signals are serial, so no volatile is needed). */
		private boolean done;

		/** Demand from downstream not yet met; only needed to know when the tail may go. */
		private volatile long requested;

		private volatile int state;

		/** Written before the state turns {@link #TAIL_WAITING}, read after it is taken from there. */
		private DataBuffer tail;

		TapSubscriber(CoreSubscriber<? super DataBuffer> actual, Listener listener) {
			this.actual = actual;
			this.listener = listener;
		}

		@Override
		public Context currentContext() {
			return this.actual.currentContext();
		}

		@Override
		public void onSubscribe(Subscription subscription) {
			if (Operators.validate(this.upstream, subscription)) {
				this.upstream = subscription;
				this.actual.onSubscribe(this);
			}
		}

		@Override
		public void onNext(DataBuffer buffer) {
			if (this.done || this.state == CANCELLED) {
				DataBufferUtils.release(buffer);
				return;
			}
			DataBuffer out = this.listener.onNext(buffer);
			if (out == null) {
				// Nothing went downstream, so its demand still stands: ask for the next chunk.
				this.upstream.request(1);
				return;
			}
			Operators.produced(REQUESTED, this, 1);
			this.actual.onNext(out);
		}

		@Override
		public void onError(Throwable error) {
			if (this.done) {
				Operators.onErrorDropped(error, this.actual.currentContext());
				return;
			}
			this.done = true;
			fail(error);
		}

		@Override
		public void onComplete() {
			if (this.done) {
				return;
			}
			this.done = true;
			DataBuffer last;
			try {
				last = this.listener.onComplete();
			}
			catch (RuntimeException ex) {
				fail(ex);
				return;
			}
			if (last == null) {
				if (STATE.compareAndSet(this, RUNNING, FINISHED)) {
					this.actual.onComplete();
				}
				return;
			}
			this.tail = last;
			if (!STATE.compareAndSet(this, RUNNING, TAIL_WAITING)) {
				this.tail = null;
				DataBufferUtils.release(last);
				return;
			}
			emitTail();
		}

		/**
		 * Ends the body with an error. After the client left there is nobody to tell and the call
		 * is already counted as cancelled: a connection that breaks as the client goes is no news,
		 * so it is not handed to Reactor's dropped-error hook, which logs at ERROR.
		 */
		private void fail(Throwable error) {
			if (STATE.compareAndSet(this, RUNNING, FINISHED)) {
				this.listener.onError(error);
				this.actual.onError(Failures.forClient(error));
			}
		}

		/**
		 * Sends the tail once there is demand for it. Both the end of the body and a request can
		 * get here, from different threads: each writes its own fact (state, demand) before it
		 * reads the other's, so at least one of them sees both, and the state change lets exactly
		 * one of them send.
		 */
		private void emitTail() {
			if (this.requested > 0 && STATE.compareAndSet(this, TAIL_WAITING, FINISHED)) {
				DataBuffer last = this.tail;
				this.tail = null;
				this.actual.onNext(last);
				this.actual.onComplete();
			}
		}

		@Override
		public void request(long n) {
			if (!Operators.validate(n)) {
				return;
			}
			Operators.addCap(REQUESTED, this, n);
			if (this.state == TAIL_WAITING) {
				emitTail();
			}
			else {
				this.upstream.request(n);
			}
		}

		@Override
		public void cancel() {
			for (;;) {
				int current = this.state;
				if (current == FINISHED || current == CANCELLED) {
					return;
				}
				if (STATE.compareAndSet(this, current, CANCELLED)) {
					if (current == TAIL_WAITING) {
						DataBuffer last = this.tail;
						this.tail = null;
						DataBufferUtils.release(last);
					}
					this.listener.onCancel();
					this.upstream.cancel();
					return;
				}
			}
		}

	}

}
