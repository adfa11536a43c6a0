package io.llmgateway.config;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.NettyPipeline;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;

import io.llmgateway.netty.HeadWithBodyHandler;
import io.llmgateway.support.TestRoutes;

import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.cloud.gateway.config.HttpClientCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gateway's own connections, towards the client and towards the provider, carry the
 * {@link HeadWithBodyHandler} right after their HTTP/1.1 codec (what it does is tested in
 * {@code HeadWithBodyHandlerTests}).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import(HeadWithBodyWiringTests.PipelineRecorder.class)
class HeadWithBodyWiringTests {

	private static final DisposableServer upstream = HttpServer.create()
		.host("127.0.0.1")
		.port(0)
		.handle((request, response) -> response.header("content-type", "application/json")
			.sendString(Mono.just("{\"id\":\"c1\",\"model\":\"m\",\"choices\":[],"
					+ "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}")))
		.bindNow();

	@LocalServerPort
	int port;

	@DynamicPropertySource
	static void routes(DynamicPropertyRegistry registry) {
		TestRoutes.in(registry).llm("wired", "http://127.0.0.1:" + upstream.port(), "/wired");
	}

	@AfterAll
	static void stopUpstream() {
		upstream.disposeNow();
	}

	@Test
	void bothConnectionsOfACallCarryTheHandlerAfterTheirCodec() {
		WebTestClient.bindToServer(new ReactorClientHttpConnector(HttpClient.create()))
			.baseUrl("http://127.0.0.1:" + this.port)
			.responseTimeout(Duration.ofSeconds(20))
			.build()
			.post()
			.uri("/wired/v1/chat/completions")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")
			.exchange()
			.expectStatus()
			.isOk();
		assertThat(PipelineRecorder.towardsClients).isNotEmpty().allSatisfy(HeadWithBodyWiringTests::handlerAfterCodec);
		assertThat(PipelineRecorder.towardsProviders).isNotEmpty()
			.allSatisfy(HeadWithBodyWiringTests::handlerAfterCodec);
	}

	private static void handlerAfterCodec(List<String> pipeline) {
		int codec = pipeline.indexOf(NettyPipeline.HttpCodec);
		assertThat(codec).as("codec in %s", pipeline).isNotNegative();
		assertThat(pipeline.get(codec + 1)).as("after the codec in %s", pipeline).isEqualTo(HeadWithBodyHandler.NAME);
	}

	/** Notes the handler names of each connection once it is set up. */
	@TestConfiguration(proxyBeanMethods = false)
	static class PipelineRecorder {

		static final List<List<String>> towardsClients = new CopyOnWriteArrayList<>();

		static final List<List<String>> towardsProviders = new CopyOnWriteArrayList<>();

		@Bean
		NettyServerCustomizer recordServerPipelines() {
			return server -> server.doOnConnection(connection -> towardsClients.add(connection.channel().pipeline().names()));
		}

		@Bean
		HttpClientCustomizer recordClientPipelines() {
			return client -> client.doOnConnected(connection -> towardsProviders.add(connection.channel().pipeline().names()));
		}

	}

}
