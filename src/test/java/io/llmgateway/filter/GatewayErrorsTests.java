package io.llmgateway.filter;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.springframework.http.HttpHeaders;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which values of a header a gateway error takes off: the upstream's, appended after the
 * gateway's own under the same name.
 */
class GatewayErrorsTests {

	@Test
	void theUpstreamsValuesGoAndTheGatewaysStay() {
		HttpHeaders headers = new HttpHeaders();
		headers.add("Vary", "Origin");
		headers.add("Vary", "Access-Control-Request-Method");
		headers.add("Vary", "Origin");
		headers.add("Vary", "Accept-Encoding");

		GatewayErrors.removeUpstreamValues(headers, "vary", List.of("Origin", "Accept-Encoding"));

		assertThat(headers.get("Vary")).containsExactly("Origin", "Access-Control-Request-Method");
	}

	@Test
	void aHeaderOnlyTheUpstreamSentGoesWhole() {
		HttpHeaders headers = new HttpHeaders();
		headers.add("X-Upstream", "a");
		headers.add("X-Upstream", "b");

		GatewayErrors.removeUpstreamValues(headers, "X-Upstream", List.of("a", "b"));

		assertThat(headers.containsHeader("X-Upstream")).isFalse();
	}

	@Test
	void valuesAFilterChangedCannotBeToldApartSoTheHeaderGoesWhole() {
		HttpHeaders headers = new HttpHeaders();
		headers.add("Cache-Control", "no-store");
		headers.add("Cache-Control", "max-age=60, rewritten");

		GatewayErrors.removeUpstreamValues(headers, "Cache-Control", List.of("max-age=60"));

		assertThat(headers.containsHeader("Cache-Control")).isFalse();
	}

	@Test
	void withoutTheUpstreamsValuesTheHeaderGoesWhole() {
		HttpHeaders headers = new HttpHeaders();
		headers.add("Vary", "Origin");

		GatewayErrors.removeUpstreamValues(headers, "Vary", List.of());

		assertThat(headers.containsHeader("Vary")).isFalse();
	}

	@Test
	void aHeaderNoLongerThereIsLeftAlone() {
		HttpHeaders headers = new HttpHeaders();
		headers.add("Vary", "Origin");

		GatewayErrors.removeUpstreamValues(headers, "X-Upstream", List.of("a"));

		assertThat(headers.get("Vary")).containsExactly("Origin");
		assertThat(headers.containsHeader("X-Upstream")).isFalse();
	}

}
