package io.llmgateway.logging;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.util.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class BatchingAsyncAppenderTests {

	private final LoggerContext context = new LoggerContext();

	private final Logger logger = this.context.getLogger("test");

	private final List<BatchingAsyncAppender> started = new ArrayList<>();

	@BeforeEach
	void useTheCallersMdc() {
		this.context.setMDCAdapter(MDC.getMDCAdapter());
	}

	@AfterEach
	void stopAll() {
		this.started.forEach(BatchingAsyncAppender::stop);
		MDC.clear();
	}

	@Test
	void writesEveryEventInOrderWithinMaxDelay() {
		ListAppender<ILoggingEvent> target = listAppender();
		BatchingAsyncAppender appender = start(target, 64, Duration.buildByMilliseconds(20));
		for (int i = 0; i < 10; i++) {
			appender.doAppend(event("line " + i));
		}
		await().atMost(5, TimeUnit.SECONDS).until(() -> target.list.size() == 10);
		assertThat(target.list).extracting(ILoggingEvent::getFormattedMessage)
			.containsExactly("line 0", "line 1", "line 2", "line 3", "line 4", "line 5", "line 6", "line 7", "line 8",
					"line 9");
	}

	@Test
	void callersDoNotWakeTheWriterForEachEvent() throws InterruptedException {
		ListAppender<ILoggingEvent> target = listAppender();
		BatchingAsyncAppender appender = start(target, 64, Duration.buildBySeconds(3600));
		// The writer's first pass may run before anything is queued; after that it sleeps for an hour.
		Thread.sleep(200);
		appender.doAppend(event("first"));
		Thread.sleep(300);
		assertThat(target.list).isEmpty();
		// Half the queue wakes it.
		for (int i = 1; i < 32; i++) {
			appender.doAppend(event("line " + i));
		}
		await().atMost(5, TimeUnit.SECONDS).until(() -> target.list.size() == 32);
	}

	@Test
	void aFullQueueMakesCallersWaitAndLosesNothing() throws Exception {
		CountDownLatch release = new CountDownLatch(1);
		List<String> written = new ArrayList<>();
		AppenderBase<ILoggingEvent> slow = blockedUntil(release, written);
		BatchingAsyncAppender appender = start(slow, 4, Duration.buildByMilliseconds(10));
		ExecutorService callers = Executors.newFixedThreadPool(4);
		try {
			for (int t = 0; t < 4; t++) {
				int thread = t;
				callers.submit(() -> {
					for (int i = 0; i < 250; i++) {
						appender.doAppend(event(thread + ":" + i));
					}
				});
			}
			Thread.sleep(200);
			release.countDown();
			callers.shutdown();
			assertThat(callers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
		}
		finally {
			callers.shutdownNow();
		}
		await().atMost(5, TimeUnit.SECONDS).until(() -> {
			synchronized (written) {
				return written.size() == 1000;
			}
		});
		for (int t = 0; t < 4; t++) {
			String prefix = t + ":";
			List<String> ofThread;
			synchronized (written) {
				ofThread = written.stream().filter((line) -> line.startsWith(prefix)).toList();
			}
			assertThat(ofThread).hasSize(250);
			for (int i = 0; i < 250; i++) {
				assertThat(ofThread.get(i)).isEqualTo(prefix + i);
			}
		}
	}

	@Test
	void anInterruptedCallerStillWaitsForRoomAndKeepsItsInterrupt() throws Exception {
		CountDownLatch release = new CountDownLatch(1);
		List<String> written = new ArrayList<>();
		AppenderBase<ILoggingEvent> slow = blockedUntil(release, written);
		BatchingAsyncAppender appender = start(slow, 1, Duration.buildByMilliseconds(10));
		// The writer holds "first" and waits on the latch; "second" fills the queue.
		appender.doAppend(event("first"));
		await().atMost(5, TimeUnit.SECONDS).until(() -> !appender.hasQueuedEvents());
		appender.doAppend(event("second"));
		boolean[] interruptedAfter = new boolean[1];
		Thread caller = new Thread(() -> {
			Thread.currentThread().interrupt();
			appender.doAppend(event("third"));
			interruptedAfter[0] = Thread.currentThread().isInterrupted();
		});
		caller.start();
		Thread.sleep(200);
		assertThat(caller.isAlive()).as("waits for room despite its interrupt").isTrue();
		release.countDown();
		caller.join(5000);
		assertThat(caller.isAlive()).isFalse();
		assertThat(interruptedAfter[0]).isTrue();
		await().atMost(5, TimeUnit.SECONDS).until(() -> {
			synchronized (written) {
				return written.size() == 3;
			}
		});
		synchronized (written) {
			assertThat(written).containsExactly("first", "second", "third");
		}
	}

	@Test
	void anInterruptedWriterGoesOnWritingWithoutSpinning() throws InterruptedException {
		ListAppender<ILoggingEvent> target = listAppender();
		BatchingAsyncAppender appender = start(target, 64, Duration.buildByMilliseconds(20));
		appender.doAppend(event("before"));
		await().atMost(5, TimeUnit.SECONDS).until(() -> target.list.size() == 1);
		appender.writerThread().interrupt();
		appender.doAppend(event("after"));
		await().atMost(5, TimeUnit.SECONDS).until(() -> target.list.size() == 2);
		// Parked between batches, not spinning: an interrupt left set would make every park
		// return at once, and the writer would burn its core.
		ThreadMXBean threads = ManagementFactory.getThreadMXBean();
		long writer = appender.writerThread().getId();
		long before = threads.getThreadCpuTime(writer);
		Thread.sleep(500);
		assertThat(threads.getThreadCpuTime(writer) - before).isLessThan(TimeUnit.MILLISECONDS.toNanos(150));
	}

	@Test
	void stopWritesWhatIsQueuedAndDropsLaterEvents() {
		ListAppender<ILoggingEvent> target = listAppender();
		BatchingAsyncAppender appender = start(target, 1024, Duration.buildBySeconds(3600));
		for (int i = 0; i < 100; i++) {
			appender.doAppend(event("line " + i));
		}
		appender.stop();
		assertThat(target.list).hasSize(100);
		assertThat(target.isStarted()).isFalse();
		appender.doAppend(event("after stop"));
		assertThat(target.list).hasSize(100);
	}

	@Test
	void messageAndMdcAreThoseOfTheCaller() {
		ListAppender<ILoggingEvent> target = listAppender();
		BatchingAsyncAppender appender = start(target, 64, Duration.buildByMilliseconds(10));
		Object[] args = { new StringBuilder("before") };
		MDC.put("trace_id", "abc");
		LoggingEvent event = new LoggingEvent("test", this.logger, Level.INFO, "value {}", null, args);
		appender.doAppend(event);
		MDC.clear();
		((StringBuilder) args[0]).setLength(0);
		((StringBuilder) args[0]).append("after");
		await().atMost(5, TimeUnit.SECONDS).until(() -> target.list.size() == 1);
		assertThat(target.list.get(0).getFormattedMessage()).isEqualTo("value before");
		assertThat(target.list.get(0).getMDCPropertyMap()).containsEntry("trace_id", "abc");
	}

	@Test
	void aFailingAppenderDoesNotStopTheWriter() {
		ListAppender<ILoggingEvent> target = listAppender();
		AppenderBase<ILoggingEvent> failing = new AppenderBase<>() {
			@Override
			public void doAppend(ILoggingEvent event) {
				if (event.getFormattedMessage().equals("one")) {
					throw new IllegalStateException("broken");
				}
			}

			@Override
			protected void append(ILoggingEvent event) {
			}
		};
		failing.setContext(this.context);
		failing.start();
		BatchingAsyncAppender appender = new BatchingAsyncAppender();
		appender.setContext(this.context);
		appender.setName("failing");
		appender.setMaxDelay(Duration.buildByMilliseconds(10));
		appender.addAppender(failing);
		appender.addAppender(target);
		appender.start();
		this.started.add(appender);
		appender.doAppend(event("one"));
		appender.doAppend(event("two"));
		await().atMost(5, TimeUnit.SECONDS).until(() -> target.list.size() == 1);
		assertThat(target.list.get(0).getFormattedMessage()).isEqualTo("two");
		assertThat(this.context.getStatusManager().getCopyOfStatusList()).extracting(Status::getMessage)
			.contains("appender attached to [failing] failed");
	}

	@Test
	void doesNotStartWithoutAnAttachedAppender() {
		BatchingAsyncAppender appender = new BatchingAsyncAppender();
		appender.setContext(this.context);
		appender.setName("empty");
		appender.start();
		assertThat(appender.isStarted()).isFalse();
		assertThat(this.context.getStatusManager().getCopyOfStatusList()).extracting(Status::getMessage)
			.contains("no appender attached to [empty]");
	}

	/** An appender that writes each message to {@code written} once {@code release} opens. */
	private AppenderBase<ILoggingEvent> blockedUntil(CountDownLatch release, List<String> written) {
		AppenderBase<ILoggingEvent> slow = new AppenderBase<>() {
			@Override
			protected void append(ILoggingEvent event) {
				try {
					release.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				synchronized (written) {
					written.add(event.getFormattedMessage());
				}
			}
		};
		slow.setContext(this.context);
		slow.start();
		return slow;
	}

	private ListAppender<ILoggingEvent> listAppender() {
		ListAppender<ILoggingEvent> target = new ListAppender<>();
		target.setContext(this.context);
		target.start();
		return target;
	}

	private BatchingAsyncAppender start(ch.qos.logback.core.Appender<ILoggingEvent> target, int queueSize,
			Duration maxDelay) {
		BatchingAsyncAppender appender = new BatchingAsyncAppender();
		appender.setContext(this.context);
		appender.setName("async");
		appender.setQueueSize(queueSize);
		appender.setMaxDelay(maxDelay);
		appender.addAppender(target);
		appender.start();
		assertThat(appender.isStarted()).isTrue();
		this.started.add(appender);
		return appender;
	}

	private LoggingEvent event(String message) {
		return new LoggingEvent("test", this.logger, Level.INFO, message, null, null);
	}

}
