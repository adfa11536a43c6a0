package io.llmgateway.logging;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import ch.qos.logback.core.spi.AppenderAttachable;
import ch.qos.logback.core.spi.AppenderAttachableImpl;
import ch.qos.logback.core.util.Duration;

/**
 * Hands log events to the attached appenders on a writer thread of its own, in batches. Meant for
 * the access log: one line per call, written from the event loop.
 *
 * <p>Logback's {@code AsyncAppender} wakes its worker for every event, because the worker waits
 * in {@code take()} and each {@code put} signals it. With one line per call on a gateway limited to
 * one or two CPUs, that is two context switches per call (README, Overhead, for what it costs).
 * Here callers never signal the writer: it wakes every {@link #setMaxDelay maxDelay} and writes
 * what has queued up, or earlier once the queue is half full. Nothing is discarded: a caller that
 * finds the queue full waits for room, as with {@code AsyncAppender} and a discarding threshold
 * of 0.
 */
public class BatchingAsyncAppender extends UnsynchronizedAppenderBase<ILoggingEvent>
		implements AppenderAttachable<ILoggingEvent> {

	private final AppenderAttachableImpl<ILoggingEvent> appenders = new AppenderAttachableImpl<>();

	private int queueSize = 8192;

	private Duration maxDelay = Duration.buildByMilliseconds(50);

	private Duration maxFlushTime = Duration.buildBySeconds(5);

	private BlockingQueue<ILoggingEvent> queue;

	private int wakeThreshold;

	private volatile boolean stopping;

	private Thread writer;

	/**
	 * Capacity of the queue in events. A caller that finds it full waits.
	 * @param queueSize at least 1
	 */
	public void setQueueSize(int queueSize) {
		this.queueSize = queueSize;
	}

	/**
	 * Longest time an event waits in the queue while the queue is less than half full.
	 * @param maxDelay positive
	 */
	public void setMaxDelay(Duration maxDelay) {
		this.maxDelay = maxDelay;
	}

	/**
	 * How long {@link #stop()} waits for the queued events to be written.
	 * @param maxFlushTime positive
	 */
	public void setMaxFlushTime(Duration maxFlushTime) {
		this.maxFlushTime = maxFlushTime;
	}

	@Override
	public void start() {
		if (isStarted()) {
			return;
		}
		if (this.queueSize < 1 || this.maxDelay.getMilliseconds() < 1 || this.maxFlushTime.getMilliseconds() < 1) {
			addError("queueSize, maxDelay and maxFlushTime must be positive in appender [" + this.name + "]");
			return;
		}
		if (!this.appenders.iteratorForAppenders().hasNext()) {
			addError("no appender attached to [" + this.name + "]");
			return;
		}
		this.queue = new ArrayBlockingQueue<>(this.queueSize);
		this.wakeThreshold = Math.max(1, this.queueSize / 2);
		this.stopping = false;
		this.writer = new Thread(this::writeLoop, "log-writer-" + this.name);
		this.writer.setDaemon(true);
		super.start();
		this.writer.start();
	}

	@Override
	protected void append(ILoggingEvent event) {
		// The writer formats later, on another thread: freeze message and MDC now.
		event.prepareForDeferredProcessing();
		if (this.queue.offer(event)) {
			if (this.queue.size() >= this.wakeThreshold) {
				LockSupport.unpark(this.writer);
			}
			return;
		}
		LockSupport.unpark(this.writer);
		// An interrupt does not drop the line: the caller waits on, and keeps its interrupt.
		boolean interrupted = false;
		while (true) {
			try {
				this.queue.put(event);
				break;
			}
			catch (InterruptedException ex) {
				interrupted = true;
			}
		}
		if (interrupted) {
			Thread.currentThread().interrupt();
		}
	}

	private void writeLoop() {
		List<ILoggingEvent> batch = new ArrayList<>();
		long parkNanos = TimeUnit.MILLISECONDS.toNanos(this.maxDelay.getMilliseconds());
		while (true) {
			// Read the flag before draining: an event queued before stop() is then always seen.
			boolean last = this.stopping;
			this.queue.drainTo(batch);
			for (ILoggingEvent event : batch) {
				write(event);
			}
			boolean wroteAny = !batch.isEmpty();
			batch.clear();
			if (last) {
				// The writer lets the appenders go once it has written its last line, so that a
				// stop() that gave up waiting never closes an appender in the middle of a write.
				this.appenders.detachAndStopAllAppenders();
				return;
			}
			// Stopping is signalled by the flag; an interrupt (an appender's stream may set one)
			// would only make parkNanos return at once, for good.
			Thread.interrupted();
			if (!wroteAny || this.queue.size() < this.wakeThreshold) {
				LockSupport.parkNanos(this, parkNanos);
			}
		}
	}

	private void write(ILoggingEvent event) {
		try {
			this.appenders.appendLoopOnAppenders(event);
		}
		catch (RuntimeException ex) {
			// Appenders report their own failures; this keeps the writer alive if one does not,
			// so callers never end up waiting on a queue that nobody empties.
			addError("appender attached to [" + this.name + "] failed", ex);
		}
	}

	@Override
	public void stop() {
		if (!isStarted()) {
			return;
		}
		super.stop();
		this.stopping = true;
		LockSupport.unpark(this.writer);
		try {
			this.writer.join(this.maxFlushTime.getMilliseconds());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		if (this.writer.isAlive()) {
			addWarn("[" + this.name + "] still had " + this.queue.size() + " events to write after "
					+ this.maxFlushTime + "; the writer goes on with them until the JVM exits");
		}
	}

	/** Whether events wait in the queue (for tests). */
	boolean hasQueuedEvents() {
		return !this.queue.isEmpty();
	}

	/** The writer thread (for tests). */
	Thread writerThread() {
		return this.writer;
	}

	@Override
	public void addAppender(Appender<ILoggingEvent> appender) {
		this.appenders.addAppender(appender);
	}

	@Override
	public Iterator<Appender<ILoggingEvent>> iteratorForAppenders() {
		return this.appenders.iteratorForAppenders();
	}

	@Override
	public Appender<ILoggingEvent> getAppender(String name) {
		return this.appenders.getAppender(name);
	}

	@Override
	public boolean isAttached(Appender<ILoggingEvent> appender) {
		return this.appenders.isAttached(appender);
	}

	@Override
	public void detachAndStopAllAppenders() {
		this.appenders.detachAndStopAllAppenders();
	}

	@Override
	public boolean detachAppender(Appender<ILoggingEvent> appender) {
		return this.appenders.detachAppender(appender);
	}

	@Override
	public boolean detachAppender(String name) {
		return this.appenders.detachAppender(name);
	}

}
