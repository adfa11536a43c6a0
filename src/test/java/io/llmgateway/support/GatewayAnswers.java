package io.llmgateway.support;

import org.springframework.test.web.reactive.server.WebTestClient;

/** What the gateway answers a client itself, checked the same way wherever a test expects it. */
public final class GatewayAnswers {

	private GatewayAnswers() {
	}

	/**
	 * A 504 with the gateway's JSON error for an upstream that did not answer in time, naming the
	 * route. Reads the body, so that the test client releases it.
	 */
	public static WebTestClient.BodyContentSpec expectTimeout(WebTestClient.ResponseSpec response, String route) {
		return response.expectStatus()
			.isEqualTo(504)
			.expectBody()
			.jsonPath("$.error.code")
			.isEqualTo("timeout")
			.jsonPath("$.error.route")
			.isEqualTo(route);
	}

}
