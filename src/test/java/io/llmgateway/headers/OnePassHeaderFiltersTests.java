package io.llmgateway.headers;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import io.llmgateway.support.TestRoutes;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.cloud.gateway.filter.headers.HttpHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.RemoveForwardedHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.RemoveHopByHopHeadersFilter;
import org.springframework.cloud.gateway.filter.headers.RemoveXForwardedHeadersFilter;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spring Cloud Gateway's header filters replaced in a running gateway: what reaches the upstream
 * and what reaches the client, with the request written byte for byte on a socket.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = "spring.cloud.gateway.server.webflux.filter.remove-hop-by-hop.headers="
				+ "connection,keep-alive,transfer-encoding,te,trailer,proxy-authorization,proxy-authenticate,"
				+ "upgrade,x-secret")
class OnePassHeaderFiltersTests {

	static final WireMockServer upstream = new WireMockServer(options().dynamicPort());

	@LocalServerPort
	int port;

	@Autowired
	List<HttpHeadersFilter> headersFilters;

	@DynamicPropertySource
	static void routes(DynamicPropertyRegistry registry) {
		if (!upstream.isRunning()) {
			upstream.start();
		}
		TestRoutes.in(registry).plain("plain", upstream.baseUrl(), "/plain");
	}

	@AfterAll
	static void stopUpstream() {
		upstream.stop();
	}

	@Test
	void theOnePassFilterTakesThePlaceOfTheThreeAndKeepsTheirProperties() {
		assertThat(this.headersFilters).noneMatch(RemoveForwardedHeadersFilter.class::isInstance)
			.noneMatch(RemoveXForwardedHeadersFilter.class::isInstance);
		List<RemoveHopByHopHeadersFilter> hopByHop = this.headersFilters.stream()
			.filter(RemoveHopByHopHeadersFilter.class::isInstance)
			.map(RemoveHopByHopHeadersFilter.class::cast)
			.toList();
		assertThat(hopByHop).hasSize(2).hasAtLeastOneElementOfType(ResponseHopByHopHeadersFilter.class);
		OnePassRequestHeadersFilter onePass = this.headersFilters.stream()
			.filter(OnePassRequestHeadersFilter.class::isInstance)
			.map(OnePassRequestHeadersFilter.class::cast)
			.findFirst()
			.orElseThrow();
		assertThat(onePass.removesForwarded()).isTrue();
		assertThat(onePass.removesXForwarded()).isTrue();
		assertThat(hopByHop).allSatisfy(filter -> assertThat(filter.getHeaders()).contains("x-secret")
			.doesNotContain("x-application-context"));
	}

	@Test
	void theUpstreamAndTheClientGetNoHopByHopOrForwardingHeaders() throws Exception {
		upstream.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200)
			.withHeader("Content-Type", "text/plain")
			.withHeader("Proxy-Authenticate", "Basic")
			.withHeader("X-Secret", "from-upstream")
			.withHeader("X-Upstream", "kept")
			.withBody("ok")));

		String response = exchange("GET /plain/headers HTTP/1.1\r\n" + "Host: 127.0.0.1\r\n"
				+ "Connection: close, X-Drop\r\n" + "X-Drop: 1\r\n" + "Keep-Alive: timeout=5\r\n"
				+ "TE: trailers\r\n" + "Proxy-Authorization: Basic c2VjcmV0\r\n" + "X-Secret: 2\r\n"
				+ "Forwarded: for=203.0.113.9\r\n" + "X-Forwarded-For: 203.0.113.9\r\n"
				+ "x-forwarded-proto: https\r\n" + "X-Application-Context: app\r\n" + "X-Team: search\r\n"
				+ "\r\n");

		int bodyStart = response.indexOf("\r\n\r\n");
		String head = response.substring(0, bodyStart);
		assertThat(head).startsWith("HTTP/1.1 200").contains("X-Upstream: kept");
		assertThat(response.substring(bodyStart)).contains("ok");
		assertThat(head.toLowerCase()).doesNotContain("proxy-authenticate").doesNotContain("x-secret");
		List<LoggedRequest> received = upstream.findAll(anyRequestedFor(anyUrl()));
		assertThat(received).hasSize(1);
		LoggedRequest request = received.get(0);
		for (String removed : new String[] { "X-Drop", "Keep-Alive", "TE", "Proxy-Authorization", "X-Secret",
				"Forwarded" }) {
			assertThat(request.containsHeader(removed)).as(removed).isFalse();
		}
		assertThat(request.getHeader("X-Team")).isEqualTo("search");
		// Not in the configured list above, so it goes through.
		assertThat(request.getHeader("X-Application-Context")).isEqualTo("app");
		// The gateway's own X-Forwarded-* (added by Spring Cloud Gateway's XForwardedHeadersFilter
		// when trusted proxies are configured) are not there either: the client's were removed.
		assertThat(request.getAllHeaderKeys()).noneMatch(name -> name.toLowerCase().startsWith("x-forwarded-"));
	}

	private String exchange(String request) throws Exception {
		try (Socket socket = new Socket("127.0.0.1", this.port)) {
			socket.setSoTimeout(10_000);
			OutputStream out = socket.getOutputStream();
			out.write(request.getBytes(StandardCharsets.ISO_8859_1));
			out.flush();
			InputStream in = socket.getInputStream();
			ByteArrayOutputStream read = new ByteArrayOutputStream();
			in.transferTo(read);
			return read.toString(StandardCharsets.ISO_8859_1);
		}
	}

}
