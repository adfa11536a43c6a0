package io.llmgateway.routing;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.netty.handler.timeout.ReadTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Flux;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

import io.llmgateway.support.PrometheusScrape;
import io.llmgateway.support.TestRoutes;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.cloud.gateway.filter.NettyRoutingFilter;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static io.llmgateway.support.GatewayAnswers.expectTimeout;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The global response timeout, timed on the upstream connection by {@link LeanRoutingFilter}: it
 * bounds the wait for the response headers, as Spring Cloud Gateway's own timer did, and nothing
 * after them.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
class LeanRoutingTests {

	static final WireMockServer upstream = new WireMockServer(options().dynamicPort());

	static final Duration RESPONSE_TIMEOUT = Duration.ofMillis(500);

	static final String DRIBBLED = "{\"data\":[\"a\",\"b\",\"c\",\"d\"]}";

	/**
	 * Sends its headers at once, then nothing for longer than the response timeout, then a body in
	 * four parts: only a timer ended with the headers lets it through.
	 */
	static final DisposableServer dribbling = HttpServer.create()
		.host("127.0.0.1")
		.port(0)
		.route(routes -> routes.get("/v1/models", (request, response) -> response
			.header("Content-Type", "application/json")
			.sendHeaders()
			.then(response.sendString(Flux.just("{\"data\":[\"a\",", "\"b\",", "\"c\",", "\"d\"]}")
				.delaySubscription(Duration.ofMillis(800))))))
		.bindNow();

	@LocalServerPort
	int port;

	@Autowired
	NettyRoutingFilter routingFilter;

	WebTestClient client;

	@DynamicPropertySource
	static void routes(DynamicPropertyRegistry registry) {
		if (!upstream.isRunning()) {
			upstream.start();
		}
		String uri = "http://127.0.0.1:" + upstream.port();
		TestRoutes.in(registry)
			.plain("quick", uri, "/quick")
			.llm("quick-llm", uri, "/llm")
			.plain("patient", uri, "/patient", 3000)
			.plain("dribble", "http://127.0.0.1:" + dribbling.port(), "/dribble");
		registry.add("spring.cloud.gateway.server.webflux.httpclient.response-timeout",
				() -> RESPONSE_TIMEOUT.toMillis() + "ms");
	}

	@AfterAll
	static void stopUpstream() {
		upstream.stop();
		dribbling.disposeNow();
	}

	@BeforeEach
	void reset() {
		upstream.resetAll();
		this.client = WebTestClient
			.bindToServer(new ReactorClientHttpConnector(reactor.netty.http.client.HttpClient.create()))
			.baseUrl("http://127.0.0.1:" + this.port)
			.responseTimeout(Duration.ofSeconds(20))
			.build();
	}

	@Test
	void theGatewayRoutesWithTheLeanFilter() {
		assertThat(this.routingFilter).isInstanceOf(LeanRoutingFilter.class);
	}

	@Test
	void noHeadersWithinTheResponseTimeoutIsAGatewayTimeout(CapturedOutput output) {
		upstream.stubFor(get(urlEqualTo("/v1/models")).willReturn(aResponse().withFixedDelay(3000).withBody("{}")));
		long start = System.nanoTime();
		expectTimeout(this.client.get().uri("/quick/v1/models").exchange(), "quick");
		assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(RESPONSE_TIMEOUT, Duration.ofMillis(2900));
		// Timed on the connection, not by Spring Cloud Gateway's Flux.timeout (a ResponseStatusException).
		assertThat(output).contains("Upstream of route 'quick' failed before answering (timeout): "
				+ ReadTimeoutException.class.getName());
	}

	@Test
	void anLlmCallPastTheResponseTimeoutIsCountedAsATimeout() {
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.willReturn(aResponse().withFixedDelay(3000).withBody("{}")));
		expectTimeout(this.client.post()
			.uri("/llm/v1/chat/completions")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"model\":\"late-model\",\"messages\":[]}")
			.exchange(), "quick-llm");
		Map<String, String> call = Map.of("gen_ai_request_model", "late-model", "error_type", "timeout");
		AtomicReference<Double> count = new AtomicReference<>(0.0);
		await().atMost(Duration.ofSeconds(10)).until(() -> {
			count.set(scrape().sum("gen_ai_client_operation_duration_seconds_count", call));
			return count.get() > 0;
		});
		assertThat(count.get()).isEqualTo(1);
	}

	@Test
	void aBodySlowerThanTheResponseTimeoutIsNotCutShort() {
		// Twice: the timer is set and ended again for each request, also on a pooled connection.
		for (int i = 0; i < 2; i++) {
			this.client.get()
				.uri("/dribble/v1/models")
				.exchange()
				.expectStatus()
				.isOk()
				.expectBody(String.class)
				.isEqualTo(DRIBBLED);
		}
	}

	@Test
	void aRouteWithItsOwnResponseTimeoutWaitsThatLong() {
		upstream.stubFor(get(urlEqualTo("/v1/models")).willReturn(aResponse().withFixedDelay(1200).withBody("{}")));
		this.client.get().uri("/patient/v1/models").exchange().expectStatus().isOk().expectBody(String.class)
			.isEqualTo("{}");
	}

	private PrometheusScrape scrape() {
		return new PrometheusScrape(this.client.get()
			.uri("/actuator/prometheus")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(String.class)
			.returnResult()
			.getResponseBody());
	}

}
