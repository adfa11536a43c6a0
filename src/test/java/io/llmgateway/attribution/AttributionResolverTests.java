package io.llmgateway.attribution;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import io.llmgateway.config.LlmGatewayProperties.AttributionLabel;

import org.springframework.http.HttpHeaders;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class AttributionResolverTests {

	static final JsonMapper json = JsonMapper.builder().build();

	@Test
	void aLabelNamedLikeOneOfTheGatewaysOwnIsRefused() {
		for (String taken : new String[] { "route", "error_type", "gen_ai_token_type", "status", "le" }) {
			assertThatIllegalArgumentException()
				.isThrownBy(() -> new AttributionResolver(List.of(label(taken, "x-" + taken)), json))
				.withMessageContaining("'" + taken + "' is taken");
		}
	}

	@Test
	void aLabelGivenTwiceIsRefused() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new AttributionResolver(List.of(label("team", "x-team"), label("team", "x-org")), json))
			.withMessageContaining("'team' is given twice");
	}

	@Test
	void labelsComeFromHeadersInOrderWithTheirDefaultsAndHashes() {
		AttributionLabel key = label("api_key", "x-api-key");
		key.setHashed(true);
		AttributionResolver resolver = new AttributionResolver(List.of(label("team", "x-team"), label("user", "x-user"),
				key), json);
		HttpHeaders headers = new HttpHeaders();
		headers.add("x-team", " search ");
		headers.add("x-api-key", "sk-secret");

		assertThat(resolver.resolve(headers)).containsExactly(Map.entry("team", "search"),
				Map.entry("user", "anonymous"),
				Map.entry("api_key", AttributionResolver.digest("sk-secret")));
		assertThat(AttributionResolver.digest("sk-secret")).hasSize(12).doesNotContain("secret");
	}

	private static AttributionLabel label(String name, String header) {
		AttributionLabel label = new AttributionLabel();
		label.setName(name);
		label.setHeader(header);
		return label;
	}

}
