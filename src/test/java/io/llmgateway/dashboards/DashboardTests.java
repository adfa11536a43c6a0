package io.llmgateway.dashboards;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.llmgateway.dashboards.DashboardQueries.AlertQuery;
import io.llmgateway.dashboards.DashboardQueries.PanelQuery;
import io.llmgateway.dashboards.DashboardQueries.VariableQuery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Static checks of the observability assets under {@code dashboards/}: Grafana dashboard structure,
 * Prometheus rules (with {@code promtool}), and that every queried metric exists in the telemetry
 * contract or a known Spring / JVM / Reactor Netty family. No Prometheus, Grafana or gateway needed;
 * {@code promtool} must be on the PATH.
 */
class DashboardTests {

	private static final Map<String, String> EXPECTED_UIDS = Map.of("llm-gateway.json", "llm-gateway-overview",
			"llm-gateway-process.json", "llm-gateway-process");

	private static final List<String> LLM_CHAIN = List.of("route", "provider", "model", "team", "user");

	private static final List<String> LLM_CHAIN_LABELS = List.of("route", "gen_ai_provider_name",
			"gen_ai_request_model", "team", "user");

	private static final Pattern SELECTOR = Pattern.compile("([A-Za-z_:][A-Za-z0-9_:]*)\\s*\\{([^}]*)\\}");

	// ------------------------------------------------------------------ dashboards

	@Test
	void dashboardsArePresentWithStableUids() {
		Map<String, String> uids = new HashMap<>();
		for (Path file : DashboardQueries.dashboardFiles()) {
			uids.put(file.getFileName().toString(), DashboardQueries.readDashboard(file).path("uid").asString());
		}
		assertThat(uids).isEqualTo(EXPECTED_UIDS);
	}

	@Test
	void everyDashboardIsStructurallySound() {
		List<String> problems = new ArrayList<>();
		for (Path file : DashboardQueries.dashboardFiles()) {
			checkDashboard(file.getFileName().toString(), DashboardQueries.readDashboard(file), problems);
		}
		assertThat(problems).as("dashboard problems").isEmpty();
	}

	private void checkDashboard(String name, JsonNode dashboard, List<String> problems) {
		if (dashboard.path("schemaVersion").asInt() < 36) {
			problems.add(name + ": schemaVersion below 36");
		}
		if (dashboard.path("title").asString("").isBlank()) {
			problems.add(name + ": no title");
		}
		Map<String, JsonNode> variables = new LinkedHashMap<>();
		for (JsonNode variable : dashboard.path("templating").path("list")) {
			if (variables.put(variable.path("name").asString(), variable) != null) {
				problems.add(name + ": variable $" + variable.path("name").asString() + " defined twice");
			}
		}
		JsonNode datasourceVar = variables.get("datasource");
		if (datasourceVar == null || !"datasource".equals(datasourceVar.path("type").asString())
				|| !"prometheus".equals(datasourceVar.path("query").asString())) {
			problems.add(name + ": no datasource variable $datasource of plugin type prometheus");
		}
		Set<Integer> ids = new HashSet<>();
		for (JsonNode panel : DashboardQueries.panels(dashboard)) {
			int id = panel.path("id").asInt(-1);
			String where = name + " panel " + id + " \"" + panel.path("title").asString("") + "\"";
			if (id <= 0 || !ids.add(id)) {
				problems.add(where + ": missing or duplicate panel id");
			}
			if (panel.path("title").asString("").isBlank()) {
				problems.add(where + ": no title");
			}
			checkGridPos(where, panel.path("gridPos"), problems);
			if ("row".equals(panel.path("type").asString())) {
				continue;
			}
			checkPanel(where, panel, variables, problems);
		}
		checkVariableReferences(name, dashboard, variables, problems);
	}

	private void checkGridPos(String where, JsonNode gridPos, List<String> problems) {
		int x = gridPos.path("x").asInt(-1);
		int w = gridPos.path("w").asInt(-1);
		if (x < 0 || w < 1 || x + w > 24 || gridPos.path("h").asInt(-1) < 1 || gridPos.path("y").asInt(-1) < 0) {
			problems.add(where + ": bad gridPos " + gridPos);
		}
	}

	private void checkPanel(String where, JsonNode panel, Map<String, JsonNode> variables, List<String> problems) {
		JsonNode datasource = panel.path("datasource");
		String type = datasource.path("type").asString("");
		String uid = datasource.path("uid").asString("");
		Matcher ref = Pattern.compile("^\\$\\{(\\w+)\\}$").matcher(uid);
		if (!ref.matches()) {
			problems.add(where + ": datasource uid is not a variable: " + uid);
		}
		else {
			JsonNode variable = variables.get(ref.group(1));
			if (variable == null || !"datasource".equals(variable.path("type").asString())
					|| !type.equals(variable.path("query").asString())) {
				problems.add(where + ": datasource " + uid + " is not a datasource variable of type " + type);
			}
		}
		if ("prometheus".equals(type) && !"${datasource}".equals(uid)) {
			problems.add(where + ": Prometheus panels must use ${datasource}");
		}
		if (panel.path("fieldConfig").path("defaults").path("unit").asString("").isBlank()) {
			problems.add(where + ": no unit (fieldConfig.defaults.unit)");
		}
		JsonNode targets = panel.path("targets");
		if (targets.isEmpty()) {
			problems.add(where + ": no targets");
		}
		Set<String> refIds = new HashSet<>();
		for (JsonNode target : targets) {
			if (!refIds.add(target.path("refId").asString(""))) {
				problems.add(where + ": duplicate or missing refId");
			}
			if (!target.path("datasource").isMissingNode() && !target.path("datasource").equals(datasource)) {
				problems.add(where + ": target datasource differs from the panel's");
			}
			if ("prometheus".equals(type)) {
				String expr = target.path("expr").asString("");
				if (expr.isBlank()) {
					problems.add(where + ": target " + target.path("refId").asString() + " has no expr");
				}
				boolean latencyHistogram = expr.matches("(?s).*(_seconds_bucket).*");
				if (latencyHistogram && !target.path("exemplar").asBoolean(false)) {
					problems.add(where + ": latency histogram query without exemplars");
				}
			}
			else if (target.path("query").asString("").isBlank()) {
				problems.add(where + ": target without query");
			}
		}
	}

	private void checkVariableReferences(String name, JsonNode dashboard, Map<String, JsonNode> variables,
			List<String> problems) {
		List<String> names = new ArrayList<>(variables.keySet());
		for (JsonNode panel : DashboardQueries.panels(dashboard)) {
			Set<String> used = new LinkedHashSet<>(DashboardQueries.variablesIn(panel.path("title").asString("")));
			used.addAll(DashboardQueries.variablesIn(panel.path("datasource").path("uid").asString("")));
			for (JsonNode target : panel.path("targets")) {
				used.addAll(DashboardQueries.variablesIn(target.path("expr").asString("")));
				used.addAll(DashboardQueries.variablesIn(target.path("query").asString("")));
				used.addAll(DashboardQueries.variablesIn(target.path("legendFormat").asString("")));
			}
			for (String variable : used) {
				if (!variable.startsWith("__") && !variables.containsKey(variable)) {
					problems.add(name + " panel " + panel.path("id").asInt() + ": undefined variable $" + variable);
				}
			}
		}
		// Query variables: Prometheus label_values on $datasource, multi + All, each one filtered by
		// every query variable defined before it (the chain), and only by variables defined before it.
		List<String> earlier = new ArrayList<>();
		for (String variableName : names) {
			JsonNode variable = variables.get(variableName);
			if (!"query".equals(variable.path("type").asString())) {
				continue;
			}
			String where = name + " variable $" + variableName;
			String query = DashboardQueries.variableQueryText(variable);
			if (!"${datasource}".equals(variable.path("datasource").path("uid").asString())) {
				problems.add(where + ": datasource is not ${datasource}");
			}
			if (!variable.path("multi").asBoolean(false) || !variable.path("includeAll").asBoolean(false)) {
				problems.add(where + ": must be multi-value with All");
			}
			if (!query.startsWith("label_values(")) {
				problems.add(where + ": not a label_values query: " + query);
			}
			Set<String> used = DashboardQueries.variablesIn(query);
			for (String previous : earlier) {
				if (!used.contains(previous)) {
					problems.add(where + ": not filtered by the earlier variable $" + previous);
				}
			}
			for (String u : used) {
				if (!earlier.contains(u)) {
					problems.add(where + ": uses $" + u + " which is not an earlier query variable");
				}
			}
			earlier.add(variableName);
		}
	}

	@Test
	void llmDashboardHasTheExpectedVariablesRowsAndFilters() {
		Path file = DashboardQueries.grafanaDir().resolve("llm-gateway.json");
		JsonNode dashboard = DashboardQueries.readDashboard(file);
		List<String> queryVars = new ArrayList<>();
		Map<String, String> typeOf = new HashMap<>();
		for (JsonNode variable : dashboard.path("templating").path("list")) {
			typeOf.put(variable.path("name").asString(), variable.path("type").asString() + ":"
					+ variable.path("query").asString(""));
			if ("query".equals(variable.path("type").asString())) {
				queryVars.add(variable.path("name").asString());
			}
		}
		assertThat(typeOf).containsEntry("datasource", "datasource:prometheus").containsEntry("tempo",
				"datasource:tempo");
		assertThat(queryVars).isEqualTo(LLM_CHAIN);
		List<String> labels = DashboardQueries.variableQueries()
			.stream()
			.filter((v) -> v.dashboardUid().equals("llm-gateway-overview"))
			.map(VariableQuery::label)
			.toList();
		assertThat(labels).isEqualTo(LLM_CHAIN_LABELS);

		List<String> rows = DashboardQueries.panels(dashboard)
			.stream()
			.filter((p) -> "row".equals(p.path("type").asString()))
			.map((p) -> p.path("title").asString())
			.toList();
		assertThat(rows).containsSubsequence("Overview", "Traffic", "Latency", "Tokens", "Cost", "Errors");

		// Every selector of an LLM metric honours the filters it can: route and provider always,
		// model / team / user except on llm_gateway_active_streams (which has no such labels).
		List<String> problems = new ArrayList<>();
		for (PanelQuery query : DashboardQueries.panelQueries(file)) {
			Matcher m = SELECTOR.matcher(query.expr());
			while (m.find()) {
				String metric = m.group(1);
				if (!DashboardQueries.CONTRACT_METRICS.contains(metric)) {
					continue;
				}
				List<String> needed = metric.equals("llm_gateway_active_streams") ? List.of("route", "provider")
						: LLM_CHAIN;
				for (String variable : needed) {
					if (!m.group(2).contains("$" + variable + "\"")) {
						problems.add(query + ": selector of " + metric + " misses $" + variable);
					}
				}
			}
		}
		assertThat(problems).isEmpty();
	}

	@Test
	void errorRatioFollowsTheEmptyErrorTypeConvention() {
		List<PanelQuery> ratios = DashboardQueries.panelQueries()
			.stream()
			.filter((q) -> q.panelTitle().toLowerCase().contains("error ratio"))
			.toList();
		assertThat(ratios).isNotEmpty()
			.allSatisfy((q) -> assertThat(q.expr()).contains("error_type!=\"\"")
				.contains("gen_ai_client_operation_duration_seconds_count"));
	}

	// ------------------------------------------------------------------ rules

	@Test
	void everyAlertHasSeverityAndAnnotations() {
		List<AlertQuery> alerts = DashboardQueries.alertQueries().stream().filter(AlertQuery::isAlert).toList();
		assertThat(alerts).extracting(AlertQuery::name)
			.contains("LlmGatewayProviderHighErrorRatio", "LlmGatewayUpstreamRateLimited", "LlmGatewayHighLatencyP95",
					"LlmGatewaySlowTimeToFirstChunk", "LlmGatewayCostBurnOverBudget", "LlmGatewayTokenRateSpike",
					"LlmGatewayUnpricedModel", "LlmGatewayDown", "LlmGatewayTargetMissing")
			.doesNotHaveDuplicates();
		assertThat(alerts).allSatisfy((alert) -> {
			assertThat(alert.labels().get("severity")).as(alert.name()).isIn("critical", "warning", "info");
			assertThat(alert.annotations()).as(alert.name()).containsKeys("summary", "description", "runbook");
			assertThat(alert.annotations().values()).as(alert.name()).noneMatch(String::isBlank);
		});
		assertThat(alerts).anySatisfy((a) -> assertThat(a.expr()).contains("up{job=~\"llm-gateway.*\"} == 0"))
			.anySatisfy((a) -> assertThat(a.expr()).contains("absent(up{job=~\"llm-gateway.*\"})"));
	}

	@Test
	void everyAlertIsUnitTestedFiringAndQuiet() {
		Map<String, Set<String>> outcomes = new HashMap<>();
		for (Path testFile : DashboardQueries.ruleTestFiles()) {
			Map<String, Object> root = DashboardQueries.readYaml(testFile);
			assertThat(root.get("rule_files")).as(testFile + " rule_files")
				.asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.LIST)
				.containsExactly("../llm-gateway-rules.yaml");
			for (Object test : (List<?>) root.get("tests")) {
				Object cases = ((Map<?, ?>) test).get("alert_rule_test");
				if (cases == null) {
					continue;
				}
				for (Object c : (List<?>) cases) {
					Map<?, ?> testCase = (Map<?, ?>) c;
					Object expected = testCase.get("exp_alerts");
					boolean fires = expected instanceof List<?> list && !list.isEmpty();
					outcomes.computeIfAbsent(String.valueOf(testCase.get("alertname")), (k) -> new HashSet<>())
						.add(fires ? "fires" : "quiet");
				}
			}
		}
		for (AlertQuery alert : DashboardQueries.alertQueries()) {
			if (alert.isAlert()) {
				assertThat(outcomes.get(alert.name())).as("promtool test cases of " + alert.name())
					.containsExactlyInAnyOrder("fires", "quiet");
			}
		}
	}

	@Test
	void promtoolAcceptsTheRules() {
		run(promtool(), "check", "rules", DashboardQueries.rulesFile().toString());
	}

	@Test
	void promtoolUnitTestsPass() {
		List<String> command = new ArrayList<>(List.of(promtool(), "test", "rules"));
		DashboardQueries.ruleTestFiles().forEach((f) -> command.add(f.toString()));
		assertThat(command).hasSizeGreaterThan(3);
		run(command.toArray(String[]::new));
	}

	/** Every dashboard expression, variables resolved, must parse: promtool checks it as a recording rule. */
	@Test
	void everyDashboardExpressionIsValidPromql(@TempDir Path tmp) throws IOException {
		StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard-expressions\n    rules:\n");
		int i = 0;
		for (Map.Entry<String, String> entry : DashboardQueries.allResolvedExpressions().entrySet()) {
			String expr = entry.getValue();
			rules.append("      # ").append(entry.getKey().replaceAll("[\\r\\n]", " ")).append('\n');
			rules.append("      - record: dashboard_check:expr_").append(i++).append('\n');
			rules.append("        expr: |\n");
			expr.lines().forEach((line) -> rules.append("          ").append(line).append('\n'));
		}
		Path file = tmp.resolve("dashboard-expressions.yaml");
		Files.writeString(file, rules, StandardCharsets.UTF_8);
		String output;
		try {
			output = run(promtool(), "check", "rules", file.toString());
		}
		catch (AssertionError ex) {
			throw new AssertionError(ex.getMessage() + "\nGenerated file (origin of each expression as a comment):\n"
					+ rules, ex);
		}
		assertThat(output).contains("SUCCESS: " + i + " rules found");
	}

	// ------------------------------------------------------------------ metric names

	@Test
	void everyQueriedMetricExists() {
		Map<String, String> expressions = DashboardQueries.allResolvedExpressions();
		assertThat(expressions).hasSizeGreaterThan(50);
		Map<String, Set<String>> unknown = new LinkedHashMap<>();
		Set<String> used = new TreeSet<>();
		expressions.forEach((origin, expr) -> {
			Set<String> names = DashboardQueries.metricNames(expr);
			assertThat(names).as("metrics of " + origin).isNotEmpty();
			for (String name : names) {
				used.add(name);
				if (!DashboardQueries.isKnownMetric(name)) {
					unknown.computeIfAbsent(name, (k) -> new TreeSet<>()).add(origin);
				}
			}
		});
		assertThat(unknown).as("metrics that are neither in the telemetry contract nor a known platform family")
			.isEmpty();
		// The contract is used: every contract family shows up somewhere.
		for (String histogram : DashboardQueries.CONTRACT_HISTOGRAMS) {
			assertThat(used).as("queries of " + histogram).anyMatch((n) -> n.startsWith(histogram + "_"));
		}
		assertThat(used).containsAll(DashboardQueries.CONTRACT_SIMPLE);
	}

	@Test
	void metricNameScannerFindsMetricsOnly() {
		assertThat(DashboardQueries.metricNames("histogram_quantile(0.99, sum by (le, gen_ai_request_model) "
				+ "(rate(gen_ai_client_operation_duration_seconds_bucket{route=~\"$route\", team=~\"a|b\"}[5m])))"))
			.containsExactly("gen_ai_client_operation_duration_seconds_bucket");
		assertThat(DashboardQueries.metricNames("sum(rate(x_total{a=\"up{}\"}[10m] offset 1d)) * 60 > 3 "
				+ "and on (job) group_left (instance) up == 0 or absent(y) unless vector(1)"))
			.containsExactlyInAnyOrder("x_total", "up", "y");
		assertThat(DashboardQueries.metricNames("sum(rate(no_such_metric_total[5m])) by (team)"))
			.containsExactly("no_such_metric_total");
		assertThat(DashboardQueries.isKnownMetric("no_such_metric_total")).isFalse();
		assertThat(DashboardQueries.isKnownMetric("gen_ai_client_token_usage_bucket")).isTrue();
		assertThat(DashboardQueries.isKnownMetric("gen_ai_client_token_usage")).isFalse();
		assertThat(DashboardQueries.resolveVariables("rate(m{a=~\"$route\", b=~\"${model:regex}\"}[$__rate_interval])"))
			.isEqualTo("rate(m{a=~\".*\", b=~\".*\"}[1m])");
	}

	/** When the telemetry contract is part of the repository, the helper's list must match it. */
	@Test
	void contractListMatchesTheTelemetryDocumentWhenPresent() throws IOException {
		Path doc = DashboardQueries.projectRoot().resolve("docs/telemetry.md");
		if (!Files.exists(doc)) {
			return; // the contract lives outside the repository for now
		}
		Set<String> documented = new TreeSet<>();
		Matcher m = Pattern.compile("^\\|\\s*`((?:gen_ai|llm_gateway)_[a-z0-9_]+)`", Pattern.MULTILINE)
			.matcher(Files.readString(doc));
		while (m.find()) {
			documented.add(m.group(1));
		}
		Set<String> listed = new TreeSet<>(DashboardQueries.CONTRACT_SIMPLE);
		listed.addAll(DashboardQueries.CONTRACT_HISTOGRAMS);
		assertThat(listed).isEqualTo(documented);
	}

	// ------------------------------------------------------------------ local stack

	/**
	 * compose.yaml and dashboards/local/** parse; every file compose.yaml mounts exists (the
	 * Dockerfile aside); Prometheus scrapes a job the alerts select and loads the mounted rules;
	 * Grafana provisions the Tempo datasource the exemplars point at. No Docker engine needed.
	 */
	@Test
	@SuppressWarnings("unchecked")
	void localStackConfigurationIsConsistent() throws IOException {
		Path root = DashboardQueries.projectRoot();
		Map<String, Object> compose = DashboardQueries.readYaml(root.resolve("compose.yaml"));
		Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) compose.get("services");
		assertThat(services).containsKeys("gateway", "prometheus", "tempo", "grafana", "otel-collector", "loki");
		assertThat(services.get("otel-collector").get("profiles")).isEqualTo(List.of("otel"));
		assertThat(services.get("loki").get("profiles")).isEqualTo(List.of("otel"));
		assertThat(((Map<String, Object>) services.get("gateway").get("build")).get("context")).isEqualTo(".");
		assertThat((Map<String, Object>) services.get("gateway").get("environment"))
			.containsEntry("SPRING_PROFILES_ACTIVE", "demo")
			.containsEntry("SPRING_CONFIG_ADDITIONAL_LOCATION", "optional:file:/config/");
		List<String> mounts = new ArrayList<>();
		services.values().forEach((service) -> {
			for (Object volume : (List<Object>) service.getOrDefault("volumes", List.of())) {
				String source = String.valueOf(volume).split(":")[0];
				if (source.startsWith("./")) {
					mounts.add(source);
					assertThat(root.resolve(source)).as("mounted by compose.yaml").exists();
				}
			}
		});
		assertThat(mounts).contains("./dashboards/alerts/llm-gateway-rules.yaml", "./dashboards/grafana",
				"./dashboards/local/prometheus.yml", "./dashboards/local/tempo.yaml");
		try (var files = Files.walk(root.resolve("dashboards/local"))) {
			for (Path file : files.filter((f) -> f.toString().matches(".*\\.ya?ml$")).toList()) {
				assertThat(DashboardQueries.readYaml(file)).as(file.toString()).isNotEmpty();
			}
		}
		Map<String, Object> prometheus = DashboardQueries.readYaml(root.resolve("dashboards/local/prometheus.yml"));
		assertThat((List<Map<String, Object>>) prometheus.get("scrape_configs"))
			.anySatisfy((job) -> assertThat(String.valueOf(job.get("job_name"))).matches("llm-gateway.*")
				.satisfies((j) -> assertThat(job.get("metrics_path")).isEqualTo("/actuator/prometheus")));
		assertThat((List<String>) prometheus.get("rule_files")).containsExactly("/etc/prometheus/rules/*.yaml");
		run(promtool(), "check", "config", "--syntax-only",
				root.resolve("dashboards/local/prometheus.yml").toString());
		Map<String, Object> datasources = DashboardQueries
			.readYaml(root.resolve("dashboards/local/grafana/provisioning/datasources/datasources.yaml"));
		List<Map<String, Object>> list = (List<Map<String, Object>>) datasources.get("datasources");
		assertThat(list).extracting((d) -> d.get("type") + ":" + d.get("uid"))
			.contains("prometheus:prometheus", "tempo:tempo");
		Map<String, Object> promJson = (Map<String, Object>) list.get(0).get("jsonData");
		assertThat(String.valueOf(promJson.get("exemplarTraceIdDestinations"))).contains("datasourceUid=tempo");
	}

	// ------------------------------------------------------------------ promtool

	private static String promtool() {
		String path = System.getenv().getOrDefault("PATH", "");
		for (String dir : path.split(File.pathSeparator)) {
			Path candidate = Path.of(dir.isEmpty() ? "." : dir, "promtool");
			if (Files.isExecutable(candidate)) {
				return candidate.toString();
			}
		}
		return fail("promtool not found on PATH. The dashboard tests need it to check and unit-test the "
				+ "Prometheus rules: install it with `apt-get install -y prometheus` (Debian/Ubuntu) or put the "
				+ "promtool binary of a Prometheus release on the PATH.");
	}

	private static String run(String... command) {
		try {
			Process process = new ProcessBuilder(command).redirectErrorStream(true)
				.directory(DashboardQueries.projectRoot().toFile())
				.start();
			byte[] out = process.getInputStream().readAllBytes();
			if (!process.waitFor(180, TimeUnit.SECONDS)) {
				process.destroyForcibly();
				fail(String.join(" ", command) + " timed out");
			}
			String output = new String(out, StandardCharsets.UTF_8);
			assertThat(process.exitValue()).as(String.join(" ", command) + " failed:\n" + output).isZero();
			return output;
		}
		catch (IOException ex) {
			return fail("could not run " + command[0], ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return fail("interrupted", ex);
		}
	}

}
