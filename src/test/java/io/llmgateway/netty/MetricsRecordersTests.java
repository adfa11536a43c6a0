package io.llmgateway.netty;

import java.net.InetSocketAddress;
import java.time.Duration;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import io.netty.channel.ChannelHandler;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.DisposableServer;
import reactor.netty.NettyPipeline;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The recorders must reach Reactor Netty's Micrometer meters (same names, same tags) while not
 * being Reactor Netty's Micrometer recorder class, which is what makes it time each call with
 * Observations.
 */
class MetricsRecordersTests {

	private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

	private final InetSocketAddress upstream = InetSocketAddress.createUnresolved("upstream.test", 443);

	@BeforeEach
	void addRegistry() {
		Metrics.globalRegistry.add(this.registry);
	}

	@AfterEach
	void removeRegistry() {
		Metrics.globalRegistry.remove(this.registry);
	}

	@Test
	void reactorNettyTimesCallsWithoutObservationsAndRecordsTheSameMeters() {
		AtomicReference<String> serverHandler = new AtomicReference<>();
		AtomicReference<String> clientHandler = new AtomicReference<>();
		ServerMetricsRecorder serverRecorder = ServerMetricsRecorder.micrometer();
		ClientMetricsRecorder clientRecorder = ClientMetricsRecorder.micrometer();
		DisposableServer server = HttpServer.create()
			.host("127.0.0.1")
			.port(0)
			.metrics(true, () -> serverRecorder, uri -> "/")
			.handle((request, response) -> {
				request.withConnection(c -> serverHandler.set(handlerOf(c)));
				return response.sendString(Mono.just("ok"));
			})
			.bindNow();
		try {
			String body = HttpClient.create()
				.metrics(true, () -> clientRecorder, uri -> "/")
				.doOnConnected(c -> clientHandler.set(handlerOf(c)))
				.get()
				.uri("http://127.0.0.1:" + server.port() + "/anything")
				.responseContent()
				.aggregate()
				.asString()
				.block(Duration.ofSeconds(10));
			assertThat(body).isEqualTo("ok");
		}
		finally {
			server.disposeNow();
		}
		// Reactor Netty's plain handlers, not MicrometerHttp{Server,Client}MetricsHandler.
		assertThat(serverHandler.get()).isEqualTo("HttpServerMetricsHandler");
		assertThat(clientHandler.get()).isEqualTo("HttpClientMetricsHandler");
		assertThat(this.registry.get("reactor.netty.http.server.response.time")
			.tags("uri", "/", "method", "GET", "status", "200")
			.timer()
			.count()).isEqualTo(1);
		assertThat(this.registry.get("reactor.netty.http.client.response.time")
			.tags("uri", "/", "method", "GET", "status", "200")
			.timer()
			.count()).isEqualTo(1);
	}

	private static String handlerOf(Connection connection) {
		ChannelHandler handler = connection.channel().pipeline().get(NettyPipeline.HttpMetricsHandler);
		return (handler != null) ? handler.getClass().getSimpleName() : null;
	}

	@Test
	void serverRecorderForwardsToReactorNettysMeters() {
		ServerMetricsRecorder recorder = ServerMetricsRecorder.micrometer();
		recorder.recordResponseTime("/", "POST", "200", Duration.ofMillis(12));
		recorder.recordDataSent(this.upstream, "/", 300);

		assertThat(this.registry.get("reactor.netty.http.server.response.time")
			.tags("uri", "/", "method", "POST", "status", "200")
			.timer()
			.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(12.0);
		assertThat(this.registry.get("reactor.netty.http.server.data.sent").tags("uri", "/").summary().totalAmount())
			.isEqualTo(300.0);
	}

	@Test
	void clientRecorderForwardsToReactorNettysMeters() {
		ClientMetricsRecorder recorder = ClientMetricsRecorder.micrometer();

		recorder.recordResponseTime(this.upstream, "/", "POST", "429", Duration.ofMillis(7));
		recorder.recordConnectTime(this.upstream, Duration.ofMillis(3), "SUCCESS");
		recorder.incrementErrorsCount(this.upstream, "/");

		assertThat(this.registry.get("reactor.netty.http.client.response.time")
			.tags("uri", "/", "method", "POST", "status", "429")
			.timer()
			.count()).isEqualTo(1);
		// Summed: Reactor Netty's recorder is JVM-wide, so meters of other tests reappear here at 0.
		assertThat(this.registry.get("reactor.netty.http.client.connect.time")
			.tags("status", "SUCCESS")
			.timers()
			.stream()
			.mapToLong(Timer::count)
			.sum()).isEqualTo(1);
		assertThat(this.registry.get("reactor.netty.http.client.errors").tags("uri", "/").counter().count())
			.isEqualTo(1.0);
	}

}
