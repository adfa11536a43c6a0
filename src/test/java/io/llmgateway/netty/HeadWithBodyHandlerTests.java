package io.llmgateway.netty;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.netty.ChannelPipelineConfigurer;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;

import static org.assertj.core.api.Assertions.assertThat;

class HeadWithBodyHandlerTests {

	/** Holds every head, however long the connection was idle. */
	private static final Duration ALWAYS = Duration.ofDays(1);

	// Written through the pipeline: EmbeddedChannel's own write methods run the pending tasks,
	// which are the end of the task here.

	@Test
	void aHeadIsReportedWrittenAtOnceAndGoesOutWithTheBodyInOneFlush() {
		FlushLog log = new FlushLog();
		EmbeddedChannel channel = channel(log);
		ChannelFuture head = writeHead(channel);
		assertThat(head.isSuccess()).isTrue();
		assertThat(log.flushes).isEmpty();
		channel.pipeline().writeAndFlush(text("body"));
		assertThat(log.flushes).containsExactly(2);
		channel.runPendingTasks();
		assertThat(log.flushes).containsExactly(2);
		assertThat(channel.outboundMessages()).hasSize(2);
		channel.finishAndReleaseAll();
	}

	@Test
	void aHeadWithoutItsBodyYetGoesOutAtTheEndOfTheTask() {
		FlushLog log = new FlushLog();
		EmbeddedChannel channel = channel(log);
		writeHead(channel);
		assertThat(log.flushes).isEmpty();
		channel.runPendingTasks();
		assertThat(log.flushes).containsExactly(1);
		// The body that comes later is flushed as it comes.
		channel.pipeline().writeAndFlush(text("later"));
		assertThat(log.flushes).containsExactly(1, 1);
		channel.finishAndReleaseAll();
	}

	@Test
	void aHeadAfterTheConnectionSatIdleGoesOutAlone() throws InterruptedException {
		FlushLog log = new FlushLog();
		EmbeddedChannel channel = new EmbeddedChannel(log, new HeadWithBodyHandler(Duration.ofMillis(50)));
		writeHead(channel);
		channel.pipeline().writeAndFlush(text("body"));
		assertThat(log.flushes).containsExactly(2);
		Thread.sleep(100);
		// Idle past the limit: the head is written and flushed on its own, as Reactor Netty asked.
		writeHead(channel);
		assertThat(log.flushes).containsExactly(2, 1);
		// A read, then a head right after: held again.
		channel.writeInbound(text("response"));
		writeHead(channel);
		assertThat(log.flushes).containsExactly(2, 1);
		channel.pipeline().writeAndFlush(text("body"));
		assertThat(log.flushes).containsExactly(2, 1, 2);
		channel.finishAndReleaseAll();
	}

	@Test
	void fullMessagesBodiesAndVoidPromisesAreNotHeld() {
		FlushLog log = new FlushLog();
		EmbeddedChannel channel = channel(log);
		channel.pipeline().writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
		channel.pipeline().writeAndFlush(text("chunk"));
		channel.pipeline().writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
		channel.pipeline().write(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK), channel.voidPromise());
		channel.pipeline().flush();
		assertThat(log.flushes).containsExactly(1, 1, 1, 1);
		channel.finishAndReleaseAll();
	}

	@Test
	void aHeldFlushIsMadeBeforeTheChannelCloses() {
		FlushLog log = new FlushLog();
		EmbeddedChannel channel = channel(log);
		writeHead(channel);
		channel.pipeline().close();
		assertThat(log.flushes).containsExactly(1);
		assertThat(log.closedAfterFlushes).isEqualTo(1);
		channel.finishAndReleaseAll();
	}

	@Test
	void aHeadThatCannotBeWrittenClosesTheConnection() {
		EmbeddedChannel channel = new EmbeddedChannel(new ChannelDuplexHandler() {
			@Override
			public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
				promise.setFailure(new IllegalStateException("cannot write"));
			}
		}, new HeadWithBodyHandler(ALWAYS));
		ChannelFuture head = writeHead(channel);
		assertThat(head.isSuccess()).isTrue();
		// Closed the way a failed write closes a connection, so that Reactor Netty reports a
		// connection closed while sending, not a bare exception through the pipeline.
		assertThat(channel.isOpen()).isFalse();
		channel.checkException();
		// The body that follows fails with the closed connection.
		ChannelFuture body = channel.pipeline().writeAndFlush(text("body"));
		assertThat(body.isSuccess()).isFalse();
		channel.finishAndReleaseAll();
	}

	/**
	 * Reactor Netty end to end, the way the gateway writes: a request with a streamed body, and a
	 * response with a streamed body. Each message leaves in one flush with the handler, in two
	 * without it.
	 */
	@Test
	void reactorNettySendsEachStreamedMessageInOneFlush() {
		assertThat(flushesPerMessage(true)).containsExactly(1, 1);
		assertThat(flushesPerMessage(false)).containsExactly(2, 2);
	}

	/** Data-carrying flushes of the request (client side) and of the response (server side). */
	private List<Integer> flushesPerMessage(boolean withHandler) {
		List<FlushLog> serverLogs = new CopyOnWriteArrayList<>();
		List<FlushLog> clientLogs = new CopyOnWriteArrayList<>();
		DisposableServer server = HttpServer.create()
			.host("127.0.0.1")
			.port(0)
			.doOnChannelInit(configurer(withHandler, serverLogs))
			// Content-Length on both messages, so that the end of a body is no extra bytes.
			.handle((request, response) -> response.header("content-length", "5")
				.send(request.receive().aggregate().retain().flux()))
			.bindNow();
		try {
			String echoed = HttpClient.create()
				.doOnChannelInit(configurer(withHandler, clientLogs))
				.headers(headers -> headers.set("content-length", "5"))
				.post()
				.uri("http://127.0.0.1:" + server.port() + "/echo")
				.send(Flux.just("hello").map(HeadWithBodyHandlerTests::text))
				.responseContent()
				.aggregate()
				.asString()
				.block(Duration.ofSeconds(10));
			assertThat(echoed).isEqualTo("hello");
		}
		finally {
			server.disposeNow();
		}
		assertThat(clientLogs).hasSize(1);
		assertThat(serverLogs).hasSize(1);
		return List.of(clientLogs.get(0).dataFlushes(), serverLogs.get(0).dataFlushes());
	}

	private static ChannelPipelineConfigurer configurer(boolean withHandler, List<FlushLog> logs) {
		ChannelPipelineConfigurer logging = (observer, channel, address) -> {
			FlushLog log = new FlushLog();
			logs.add(log);
			channel.pipeline().addFirst(log);
		};
		return withHandler ? logging.then(HeadWithBodyHandler.configurer(ALWAYS)) : logging;
	}

	private static EmbeddedChannel channel(FlushLog log) {
		return new EmbeddedChannel(log, new HeadWithBodyHandler(ALWAYS));
	}

	private static ChannelFuture writeHead(EmbeddedChannel channel) {
		return channel.pipeline().writeAndFlush(new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
	}

	private static ByteBuf text(String text) {
		return Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
	}

	/** Sits next to the transport and records how many messages each flush sends. */
	private static final class FlushLog extends ChannelDuplexHandler {

		final List<Integer> flushes = new ArrayList<>();

		int closedAfterFlushes = -1;

		private int pending;

		@Override
		public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
			if (!(msg instanceof ByteBuf buf) || buf.isReadable()) {
				this.pending++;
			}
			ctx.write(msg, promise);
		}

		@Override
		public void flush(ChannelHandlerContext ctx) {
			if (this.pending > 0) {
				this.flushes.add(this.pending);
				this.pending = 0;
			}
			ctx.flush();
		}

		@Override
		public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
			this.closedAfterFlushes = this.flushes.size();
			ctx.close(promise);
		}

		int dataFlushes() {
			return this.flushes.size();
		}

	}

}
