package io.llmgateway.filter;

import java.util.List;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The opt-in {@code spring.reactor.context-propagation: auto}: log lines written while the gateway
 * handles a call carry that call's trace id. Reactor's hook is global to the JVM, so Maven runs
 * this class in a JVM of its own (the {@code automatic-context-propagation} Surefire execution)
 * and every other test keeps the default, {@code limited}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = "spring.reactor.context-propagation=auto")
class AutomaticContextPropagationTests {

	static final WireMockServer upstream = new WireMockServer(options().dynamicPort());

	static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

	@LocalServerPort
	int port;

	private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

	private final Logger filterLogger = (Logger) LoggerFactory.getLogger(LlmObservationFilter.class);

	@DynamicPropertySource
	static void routes(DynamicPropertyRegistry registry) {
		if (!upstream.isRunning()) {
			upstream.start();
		}
		String route = "spring.cloud.gateway.server.webflux.routes[0]";
		registry.add(route + ".id", () -> "misnamed");
		registry.add(route + ".uri", upstream::baseUrl);
		registry.add(route + ".predicates[0]", () -> "Path=/misnamed/**");
		registry.add(route + ".filters[0]", () -> "StripPrefix=1");
		// A provider the gateway does not know: proxied undecoded, with a warning per call.
		registry.add(route + ".metadata.llm.provider", () -> "no-such-provider");
	}

	@AfterAll
	static void stopUpstream() {
		upstream.stop();
	}

	@BeforeEach
	void captureLogs() {
		this.logged.start();
		this.filterLogger.addAppender(this.logged);
	}

	@AfterEach
	void releaseLogs() {
		this.filterLogger.detachAppender(this.logged);
	}

	@Test
	void aWarningWrittenWhileHandlingACallCarriesItsTraceId() {
		upstream.stubFor(post(urlEqualTo("/v1/chat/completions"))
			.willReturn(aResponse().withHeader("Content-Type", "application/json").withBody("{\"id\":\"x\"}")));
		WebTestClient client = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + this.port).build();

		client.post()
			.uri("/misnamed/v1/chat/completions")
			.header("traceparent", "00-" + TRACE_ID + "-00f067aa0ba902b7-01")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"model\":\"gpt-4o-mini\",\"messages\":[]}")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(String.class)
			.isEqualTo("{\"id\":\"x\"}");

		List<ILoggingEvent> warnings = this.logged.list.stream()
			.filter((event) -> event.getFormattedMessage().contains("no-such-provider"))
			.toList();
		assertThat(warnings).hasSize(1);
		assertThat(warnings.get(0).getMDCPropertyMap()).containsEntry("traceId", TRACE_ID);
	}

}
