package io.llmgateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The Helm chart in helm/llm-gateway, checked with the real Helm library (helm-java): lint, schema
 * validation and rendering, then assertions on the rendered objects.
 */
class HelmChartTests {

	static final Path CHART = Path.of("helm", "llm-gateway");

	static final Path ALL_FEATURES = CHART.resolve("ci/all-features-values.yaml");

	static final String RELEASE = "gw";

	static final String NAMESPACE = "llm";

	/** A current Kubernetes; the chart needs 1.27+ (helm-java's own default is 1.20). */
	static final String KUBE_VERSION = "v1.33.0";

	// ---------------------------------------------------------------------------------------
	// lint and schema
	// ---------------------------------------------------------------------------------------

	@Test
	void lintIsClean() {
		LintResult result = new Helm(CHART).lint().call();
		assertThat(result.isFailed()).as("lint failed: %s", result.getMessages()).isFalse();
		assertThat(result.getMessages()).noneMatch((message) -> message.contains("[ERROR]") || message.contains("[WARNING]"));
	}

	@Test
	void strictLintIsClean() {
		LintResult result = new Helm(CHART).lint().strict().call();
		assertThat(result.isFailed()).as("lint --strict failed: %s", result.getMessages()).isFalse();
		assertThat(result.getMessages()).noneMatch((message) -> message.contains("[ERROR]") || message.contains("[WARNING]"));
	}

	@Test
	void schemaRejectsReplicaCountThatIsNotANumber() {
		assertThatThrownBy(() -> render((template) -> template.set("replicaCount", "two")))
			.hasMessageContaining("schema")
			.hasMessageContaining("/replicaCount");
	}

	@Test
	void schemaRejectsUnknownServiceType() {
		assertThatThrownBy(() -> render((template) -> template.set("service.type", "Internet")))
			.hasMessageContaining("schema")
			.hasMessageContaining("/service/type");
	}

	@Test
	void schemaRejectsUnknownTopLevelKeyAndRootUser() {
		assertThatThrownBy(() -> render((template) -> template.set("replicas", "3"))).hasMessageContaining("schema")
			.hasMessageContaining("'replicas' not allowed");
		assertThatThrownBy(() -> render((template) -> template.set("securityContext.runAsNonRoot", "false")))
			.hasMessageContaining("schema")
			.hasMessageContaining("/securityContext/runAsNonRoot");
		assertThatThrownBy(() -> render((template) -> template.set("podSecurityContext.runAsUser", "0")))
			.hasMessageContaining("/podSecurityContext/runAsUser");
	}

	@Test
	void schemaAcceptsTheAllFeaturesValues() {
		assertThat(render((template) -> template.withValuesFile(ALL_FEATURES)).kinds()).contains("Deployment");
	}

	// ---------------------------------------------------------------------------------------
	// default values
	// ---------------------------------------------------------------------------------------

	@Nested
	class DefaultValues {

		final Rendered rendered = render(UnaryOperator.identity());

		@Test
		void rendersOnlyTheCoreObjects() {
			assertThat(rendered.kinds()).containsExactlyInAnyOrder("ServiceAccount", "Secret", "ConfigMap", "Service",
					"Deployment", "PodDisruptionBudget");
		}

		@Test
		void probesHitTheHealthGroupsOnTheHttpPort() {
			Map<String, Object> container = rendered.container();
			assertProbe(container, "livenessProbe", "/actuator/health/liveness", "http");
			assertProbe(container, "readinessProbe", "/actuator/health/readiness", "http");
			assertProbe(container, "startupProbe", "/actuator/health/liveness", "http");
			assertThat(containerPorts(container)).containsExactly(Map.entry("http", 8080));
			assertThat(env(container)).containsEntry("SERVER_PORT", "8080").doesNotContainKey("MANAGEMENT_SERVER_PORT");
		}

		@Test
		void serviceExposesOnlyTheHttpPort() {
			List<Map<String, Object>> ports = list(rendered.one("Service").at("spec.ports"));
			assertThat(ports).hasSize(1);
			assertThat(ports.get(0)).containsEntry("name", "http").containsEntry("targetPort", "http").containsEntry("port", 8080);
			assertThat(map(rendered.one("Service").at("spec.selector"))).isEqualTo(podLabelsSelectedBy(rendered));
		}

		@Test
		void podRunsAsNonRootWithReadOnlyRootAndNoCapabilities() {
			Map<String, Object> podSpec = map(rendered.deployment().at("spec.template.spec"));
			Map<String, Object> podSecurity = map(podSpec.get("securityContext"));
			assertThat(podSecurity).containsEntry("runAsNonRoot", true);
			assertThat((Integer) podSecurity.get("runAsUser")).isPositive();
			Map<String, Object> security = map(rendered.container().get("securityContext"));
			assertThat(security).containsEntry("runAsNonRoot", true)
				.containsEntry("readOnlyRootFilesystem", true)
				.containsEntry("allowPrivilegeEscalation", false);
			assertThat((Integer) security.get("runAsUser")).isPositive();
			assertThat(list(map(security.get("capabilities")).get("drop"))).containsExactly("ALL");
			assertThat(podSpec).containsEntry("automountServiceAccountToken", false);
			// The read-only root needs a writable /tmp.
			assertThat(volumeMounts(rendered.container())).containsEntry("tmp", "/tmp").containsEntry("config", "/config");
			Map<String, Object> tmp = volumes(podSpec).get("tmp");
			assertThat(tmp).containsKey("emptyDir");
		}

		@Test
		void terminationGraceCoversPreStopAndShutdownGrace() {
			Map<String, Object> podSpec = map(rendered.deployment().at("spec.template.spec"));
			Map<String, String> env = env(rendered.container());
			assertThat(env).containsEntry("SERVER_SHUTDOWN", "graceful");
			int shutdownGrace = seconds(env.get("SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE"));
			assertThat(shutdownGrace).isEqualTo(30);
			assertThat((Integer) podSpec.get("terminationGracePeriodSeconds")).isGreaterThan(shutdownGrace + preStopSleep(rendered.container()));
		}

		@Test
		void configMapHoldsTheConfigFromValuesAndIsMountedAtConfig() {
			Map<String, Object> configMap = rendered.configMap(RELEASE + "-llm-gateway-config");
			Object application = parseYaml((String) map(configMap.get("data")).get("application.yml"));
			assertThat(application).isEqualTo(Map.of());
			Map<String, Object> podSpec = map(rendered.deployment().at("spec.template.spec"));
			assertThat(map(volumes(podSpec).get("config").get("configMap"))).containsEntry("name", RELEASE + "-llm-gateway-config");
			assertThat(env(rendered.container())).containsEntry("SPRING_CONFIG_ADDITIONAL_LOCATION", "optional:file:/config/");
		}

		@Test
		void providerKeysComeFromTheCreatedSecret() {
			String secretName = RELEASE + "-llm-gateway-provider-keys";
			assertThat(rendered.one("Secret").name()).isEqualTo(secretName);
			assertThat(secretRef(rendered.container(), "OPENAI_API_KEY")).containsEntry("name", secretName)
				.containsEntry("key", "openai-api-key")
				.containsEntry("optional", true);
			assertThat(secretRef(rendered.container(), "ANTHROPIC_API_KEY")).containsEntry("name", secretName);
		}

		@Test
		void topologySpreadUsesTheSelectorLabels() {
			List<Map<String, Object>> constraints = list(rendered.deployment().at("spec.template.spec.topologySpreadConstraints"));
			assertThat(constraints).extracting((constraint) -> constraint.get("topologyKey"))
				.containsExactly("topology.kubernetes.io/zone", "kubernetes.io/hostname");
			assertThat(constraints).allSatisfy((constraint) -> assertThat(map(map(constraint.get("labelSelector")).get("matchLabels")))
				.isEqualTo(podLabelsSelectedBy(rendered)));
		}

		@Test
		void resourcesAreSet() {
			Map<String, Object> resources = map(rendered.container().get("resources"));
			assertThat(map(resources.get("requests"))).containsKeys("cpu", "memory");
			assertThat(map(resources.get("limits"))).containsKey("memory");
		}

	}

	// ---------------------------------------------------------------------------------------
	// every optional part on
	// ---------------------------------------------------------------------------------------

	@Nested
	class AllFeatures {

		final Rendered rendered = render((template) -> template.withValuesFile(ALL_FEATURES));

		final Map<String, Object> values = map(parseYaml(read(ALL_FEATURES)));

		@Test
		void rendersEveryOptionalObject() {
			assertThat(rendered.kinds()).containsExactlyInAnyOrder("ServiceAccount", "Secret", "ConfigMap", "ConfigMap",
					"Service", "Deployment", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Ingress", "ServiceMonitor",
					"PodMonitor", "PrometheusRule");
		}

		@Test
		void probesUseTheSeparateManagementPort() {
			Map<String, Object> container = rendered.container();
			assertThat(containerPorts(container)).containsExactly(Map.entry("http", 8080), Map.entry("management", 8081));
			assertProbe(container, "livenessProbe", "/actuator/health/liveness", "management");
			assertProbe(container, "readinessProbe", "/actuator/health/readiness", "management");
			assertProbe(container, "startupProbe", "/actuator/health/liveness", "management");
			assertThat(env(container)).containsEntry("SERVER_PORT", "8080").containsEntry("MANAGEMENT_SERVER_PORT", "8081");
		}

		@Test
		void portsAgreeBetweenDeploymentServiceAndMonitors() {
			Map<String, Integer> containerPorts = containerPorts(rendered.container());
			List<Map<String, Object>> servicePorts = list(rendered.one("Service").at("spec.ports"));
			assertThat(servicePorts).extracting((port) -> port.get("name")).containsExactly("http", "management");
			for (Map<String, Object> port : servicePorts) {
				assertThat(containerPorts).containsKey((String) port.get("targetPort"));
			}
			assertThat(servicePorts.get(0)).containsEntry("port", 80).containsEntry("targetPort", "http");
			assertThat(servicePorts.get(1)).containsEntry("port", 9090).containsEntry("targetPort", "management");

			// ServiceMonitor: names a Service port, the management one, and selects the Service.
			Resource serviceMonitor = rendered.one("ServiceMonitor");
			Map<String, Object> endpoint = map(list(serviceMonitor.at("spec.endpoints")).get(0));
			assertThat(endpoint).containsEntry("port", "management").containsEntry("path", "/actuator/prometheus");
			assertThat(servicePorts).extracting((port) -> port.get("name")).contains(endpoint.get("port"));
			assertThat(map(rendered.one("Service").at("metadata.labels")))
				.containsAllEntriesOf(map(serviceMonitor.at("spec.selector.matchLabels")));
			assertThat(list(serviceMonitor.at("spec.namespaceSelector.matchNames"))).containsExactly(NAMESPACE);
			assertThat(map(serviceMonitor.at("metadata.labels"))).containsEntry("release", "kube-prometheus-stack");

			// PodMonitor: names a container port, the management one, and selects the pods.
			Resource podMonitor = rendered.one("PodMonitor");
			Map<String, Object> podEndpoint = map(list(podMonitor.at("spec.podMetricsEndpoints")).get(0));
			assertThat(podEndpoint).containsEntry("port", "management").containsEntry("path", "/actuator/prometheus");
			assertThat(containerPorts).containsKey((String) podEndpoint.get("port"));
			assertThat(map(rendered.deployment().at("spec.template.metadata.labels")))
				.containsAllEntriesOf(map(podMonitor.at("spec.selector.matchLabels")));
			assertThat(podMonitor.at("metadata.namespace")).isEqualTo("monitoring");
			assertThat(list(podMonitor.at("spec.namespaceSelector.matchNames"))).containsExactly(NAMESPACE);

			// The Ingress only reaches the http port, never the actuator.
			Map<String, Object> rule = map(list(rendered.one("Ingress").at("spec.rules")).get(0));
			Map<String, Object> path = map(list(map(rule.get("http")).get("paths")).get(0));
			Map<String, Object> backend = map(path.get("backend"));
			assertThat(map(map(backend.get("service")).get("port"))).containsEntry("name", "http");
			assertThat(map(backend.get("service"))).containsEntry("name", rendered.one("Service").name());
		}

		@Test
		void configMapHoldsExactlyTheConfigFromValues() {
			Map<String, Object> configMap = rendered.configMap(RELEASE + "-llm-gateway-config");
			Object application = parseYaml((String) map(configMap.get("data")).get("application.yml"));
			assertThat(application).isEqualTo(values.get("config"));
		}

		@Test
		void terminationGraceIsShutdownGracePlusPreStopPlusMargin() {
			Map<String, String> env = env(rendered.container());
			int shutdownGrace = seconds(env.get("SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE"));
			assertThat(shutdownGrace).isEqualTo(90);
			int preStop = preStopSleep(rendered.container());
			assertThat(preStop).isEqualTo(10);
			assertThat(rendered.deployment().at("spec.template.spec.terminationGracePeriodSeconds")).isEqualTo(90 + 10 + 15);
		}

		@Test
		void telemetryValuesBecomeSpringEnvironment() {
			assertThat(env(rendered.container()))
				.containsEntry("MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_OTLP_ENDPOINT", "http://tempo.observability:4318/v1/traces")
				.containsEntry("MANAGEMENT_OPENTELEMETRY_TRACING_EXPORT_OTLP_TRANSPORT", "http")
				.containsEntry("MANAGEMENT_TRACING_SAMPLING_PROBABILITY", "0.25")
				.containsEntry("MANAGEMENT_OPENTELEMETRY_LOGGING_EXPORT_OTLP_ENDPOINT", "http://otel-collector.observability:4318/v1/logs")
				.containsEntry("OTEL_SERVICE_NAME", "llm-gateway")
				.containsEntry("LOGGING_LEVEL_IO_LLMGATEWAY", "DEBUG");
			assertThat(env(rendered.container()).get("OTEL_RESOURCE_ATTRIBUTES")).contains("k8s.pod.name=$(K8S_POD_NAME)")
				.contains("deployment.environment.name=test");
		}

		@Test
		void createdSecretHoldsTheKeysAndFeedsTheEnvironment() {
			Resource secret = rendered.one("Secret");
			Map<String, Object> data = map(secret.at("data"));
			assertThat(new String(Base64.getDecoder().decode((String) data.get("openai-api-key")), StandardCharsets.UTF_8))
				.isEqualTo("sk-test-openai");
			assertThat(secretRef(rendered.container(), "OPENAI_API_KEY")).containsEntry("name", secret.name())
				.containsEntry("key", "openai-api-key");
			assertThat(map(rendered.deployment().at("spec.template.metadata.annotations"))).containsKey("checksum/secret");
		}

		@Test
		void autoscalerOwnsTheReplicaCount() {
			assertThat(map(rendered.deployment().at("spec"))).doesNotContainKey("replicas");
			Resource hpa = rendered.one("HorizontalPodAutoscaler");
			assertThat(map(hpa.at("spec.scaleTargetRef"))).containsEntry("kind", "Deployment")
				.containsEntry("name", rendered.deployment().name());
			assertThat(hpa.at("spec.minReplicas")).isEqualTo(3);
			assertThat(list(hpa.at("spec.metrics"))).hasSize(2);
			Resource pdb = rendered.one("PodDisruptionBudget");
			assertThat(pdb.at("spec.minAvailable")).isEqualTo(2);
			assertThat(map(pdb.at("spec.selector.matchLabels"))).isEqualTo(podLabelsSelectedBy(rendered));
		}

		@Test
		void prometheusRuleCarriesTheShippedRulesAndTheExtraGroups() {
			Map<String, Object> shipped = map(parseYaml(read(CHART.resolve("files/llm-gateway-rules.yaml"))));
			List<Map<String, Object>> groups = list(rendered.one("PrometheusRule").at("spec.groups"));
			Object shippedGroups = shipped.containsKey("groups") ? shipped.get("groups") : map(shipped.get("spec")).get("groups");
			List<Object> expected = new ArrayList<>(list(shippedGroups));
			expected.addAll(list(map(map(values.get("metrics")).get("prometheusRule")).get("additionalGroups")));
			assertThat(groups).isEqualTo(expected);
			// Alert templates reach Prometheus untouched by Helm.
			assertThat(read(CHART.resolve("files/llm-gateway-rules.yaml")).contains("{{ $labels.")).isTrue();
			assertThat(rendered.raw()).contains("{{ $labels.gen_ai_provider_name }}");
		}

		@Test
		void dashboardsConfigMapIsLabelledForTheSidecarAndHoldsEveryDashboard() throws IOException {
			Map<String, Object> dashboards = rendered.configMap(RELEASE + "-llm-gateway-dashboards");
			assertThat(map(map(dashboards.get("metadata")).get("labels"))).containsEntry("grafana_dashboard", "1");
			assertThat(map(map(dashboards.get("metadata")).get("annotations"))).containsEntry("grafana_folder", "LLM");
			Map<String, Object> data = map(dashboards.get("data"));
			Map<String, String> files = jsonFiles(CHART.resolve("files/dashboards"));
			assertThat(files).isNotEmpty();
			assertThat(data.keySet()).isEqualTo(files.keySet());
			files.forEach((name, content) -> assertThat(((String) data.get(name)).strip()).isEqualTo(content.strip()));
		}

	}

	// ---------------------------------------------------------------------------------------
	// single behaviours
	// ---------------------------------------------------------------------------------------

	@Test
	void configChangeChangesTheChecksumAndRollsThePods() {
		String base = checksum(render(UnaryOperator.identity()));
		assertThat(checksum(render(UnaryOperator.identity()))).as("stable for equal config").isEqualTo(base);
		String changed = checksum(render((template) -> template.set("config.spring.application.name", "renamed")));
		assertThat(changed).isNotEqualTo(base);
		String routes = checksum(render((template) -> template.withValuesFile(ALL_FEATURES)));
		String routesChanged = checksum(render((template) -> template.withValuesFile(ALL_FEATURES)
			.set("config.spring.cloud.gateway.server.webflux.routes[0].uri", "https://eu.api.openai.com")));
		assertThat(routesChanged).isNotEqualTo(routes);
	}

	@Test
	void existingSecretIsReferencedAndNoSecretIsCreated() {
		Rendered rendered = render((template) -> template.set("providerKeys.existingSecret", "platform-llm-keys")
			.set("providerKeys.optional", "false"));
		assertThat(rendered.kinds()).doesNotContain("Secret");
		assertThat(secretRef(rendered.container(), "OPENAI_API_KEY")).containsEntry("name", "platform-llm-keys")
			.containsEntry("key", "openai-api-key")
			.containsEntry("optional", false);
		assertThat(map(rendered.deployment().at("spec.template.metadata.annotations"))).doesNotContainKey("checksum/secret");
	}

	@Test
	void existingConfigMapIsMountedAndNoConfigMapIsCreated() {
		Rendered rendered = render((template) -> template.set("existingConfigMap", "my-routes"));
		assertThat(rendered.kinds()).doesNotContain("ConfigMap");
		Map<String, Object> podSpec = map(rendered.deployment().at("spec.template.spec"));
		assertThat(map(volumes(podSpec).get("config").get("configMap"))).containsEntry("name", "my-routes");
	}

	@Test
	void longerShutdownGraceLengthensTerminationGrace() {
		Rendered rendered = render((template) -> template.set("shutdown.gracePeriodSeconds", "300"));
		assertThat(env(rendered.container())).containsEntry("SPRING_LIFECYCLE_TIMEOUTPERSHUTDOWNPHASE", "300s");
		assertThat((Integer) rendered.deployment().at("spec.template.spec.terminationGracePeriodSeconds")).isGreaterThan(300);
	}

	@Test
	void managementPortEqualToHttpPortIsNotSeparate() {
		Rendered rendered = render((template) -> template.set("containerPorts.management", "8080"));
		assertThat(containerPorts(rendered.container())).containsOnlyKeys("http");
		assertProbe(rendered.container(), "readinessProbe", "/actuator/health/readiness", "http");
	}

	// ---------------------------------------------------------------------------------------
	// the chart's copies of the dashboards/ files stay identical to them
	// ---------------------------------------------------------------------------------------

	@Test
	void chartRulesAreACopyOfTheAlertRules() {
		Path source = Path.of("dashboards", "alerts", "llm-gateway-rules.yaml");
		Path copy = CHART.resolve("files/llm-gateway-rules.yaml");
		if (Files.exists(source)) {
			assertThat(bytes(copy)).as("%s differs from %s: run  cp %s %s", copy, source, source, copy)
				.isEqualTo(bytes(source));
		}
		else {
			assertThat(read(copy)).as("placeholder until %s exists", source).contains("PLACEHOLDER");
		}
		Map<String, Object> rules = map(parseYaml(read(copy)));
		Object groups = rules.containsKey("groups") ? rules.get("groups") : map(rules.get("spec")).get("groups");
		assertThat(list(groups)).isNotEmpty();
	}

	@Test
	void chartDashboardsAreCopiesOfTheGrafanaDashboards() throws IOException {
		Path source = Path.of("dashboards", "grafana");
		Path copies = CHART.resolve("files/dashboards");
		Map<String, String> chartFiles = jsonFiles(copies);
		Map<String, String> sourceFiles = Files.isDirectory(source) ? jsonFiles(source) : Map.of();
		if (!sourceFiles.isEmpty()) {
			assertThat(chartFiles).as("%s differs from %s: run  rm %s/*.json && cp %s/*.json %s/", copies, source, copies,
					source, copies)
				.isEqualTo(sourceFiles);
		}
		else {
			assertThat(chartFiles.keySet()).as("placeholder until %s/*.json exist", source)
				.containsExactly("llm-gateway-placeholder.json");
		}
	}

	// ---------------------------------------------------------------------------------------
	// helpers
	// ---------------------------------------------------------------------------------------

	static Rendered render(UnaryOperator<TemplateCommand> customizer) {
		TemplateCommand template = new Helm(CHART).template()
			.withName(RELEASE)
			.withNamespace(NAMESPACE)
			.withKubeVersion(KUBE_VERSION);
		String output = customizer.apply(template).call();
		List<Resource> resources = new ArrayList<>();
		for (Object document : yaml().loadAll(output)) {
			if (document != null) {
				resources.add(new Resource(map(document)));
			}
		}
		return new Rendered(output, resources);
	}

	static Yaml yaml() {
		return new Yaml(new SafeConstructor(new LoaderOptions()));
	}

	static Object parseYaml(String text) {
		Object parsed = yaml().load(text);
		return (parsed != null) ? parsed : Map.of();
	}

	static String read(Path path) {
		return new String(bytes(path), StandardCharsets.UTF_8);
	}

	static byte[] bytes(Path path) {
		try {
			return Files.readAllBytes(path);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	static Map<String, String> jsonFiles(Path directory) throws IOException {
		try (Stream<Path> files = Files.list(directory)) {
			return files.filter((file) -> file.getFileName().toString().endsWith(".json"))
				.collect(Collectors.toMap((file) -> file.getFileName().toString(), HelmChartTests::read, (a, b) -> a,
						TreeMap::new));
		}
	}

	@SuppressWarnings("unchecked")
	static Map<String, Object> map(Object value) {
		assertThat(value).isInstanceOf(Map.class);
		return (Map<String, Object>) value;
	}

	@SuppressWarnings("unchecked")
	static <T> List<T> list(Object value) {
		assertThat(value).isInstanceOf(List.class);
		return (List<T>) value;
	}

	static void assertProbe(Map<String, Object> container, String probe, String path, String portName) {
		Map<String, Object> httpGet = map(map(container.get(probe)).get("httpGet"));
		assertThat(httpGet).containsEntry("path", path).containsEntry("port", portName);
		assertThat(containerPorts(container)).containsKey(portName);
	}

	static Map<String, Integer> containerPorts(Map<String, Object> container) {
		Map<String, Integer> ports = new java.util.LinkedHashMap<>();
		for (Map<String, Object> port : HelmChartTests.<Map<String, Object>>list(container.get("ports"))) {
			ports.put((String) port.get("name"), (Integer) port.get("containerPort"));
		}
		return ports;
	}

	static Map<String, String> env(Map<String, Object> container) {
		Map<String, String> env = new java.util.LinkedHashMap<>();
		for (Map<String, Object> variable : HelmChartTests.<Map<String, Object>>list(container.get("env"))) {
			if (variable.containsKey("value")) {
				env.put((String) variable.get("name"), String.valueOf(variable.get("value")));
			}
		}
		return env;
	}

	static Map<String, Object> secretRef(Map<String, Object> container, String name) {
		Optional<Map<String, Object>> variable = HelmChartTests.<Map<String, Object>>list(container.get("env"))
			.stream()
			.filter((candidate) -> name.equals(candidate.get("name")))
			.findFirst();
		assertThat(variable).as("env %s", name).isPresent();
		return map(map(variable.get().get("valueFrom")).get("secretKeyRef"));
	}

	static Map<String, String> volumeMounts(Map<String, Object> container) {
		return HelmChartTests.<Map<String, Object>>list(container.get("volumeMounts"))
			.stream()
			.collect(Collectors.toMap((mount) -> (String) mount.get("name"), (mount) -> (String) mount.get("mountPath")));
	}

	static Map<String, Map<String, Object>> volumes(Map<String, Object> podSpec) {
		return HelmChartTests.<Map<String, Object>>list(podSpec.get("volumes"))
			.stream()
			.collect(Collectors.toMap((volume) -> (String) volume.get("name"), (volume) -> volume));
	}

	static int preStopSleep(Map<String, Object> container) {
		List<String> command = list(map(map(map(container.get("lifecycle")).get("preStop")).get("exec")).get("command"));
		assertThat(command.get(0)).isEqualTo("sleep");
		return Integer.parseInt(command.get(1));
	}

	static int seconds(String duration) {
		assertThat(duration).matches("[0-9]+s");
		return Integer.parseInt(duration.substring(0, duration.length() - 1));
	}

	static Map<String, Object> podLabelsSelectedBy(Rendered rendered) {
		Map<String, Object> selector = map(rendered.deployment().at("spec.selector.matchLabels"));
		assertThat(map(rendered.deployment().at("spec.template.metadata.labels"))).containsAllEntriesOf(selector);
		return selector;
	}

	static String checksum(Rendered rendered) {
		Object checksum = map(rendered.deployment().at("spec.template.metadata.annotations")).get("checksum/config");
		assertThat(checksum).isInstanceOf(String.class);
		assertThat((String) checksum).matches("[0-9a-f]{64}");
		return (String) checksum;
	}

	record Resource(Map<String, Object> content) {

		String kind() {
			return (String) this.content.get("kind");
		}

		String name() {
			return (String) at("metadata.name");
		}

		Object at(String dottedPath) {
			Object current = this.content;
			for (String key : dottedPath.split("\\.")) {
				current = (current instanceof Map<?, ?> node) ? node.get(key) : null;
			}
			return current;
		}

	}

	record Rendered(String raw, List<Resource> resources) {

		List<String> kinds() {
			return this.resources.stream().map(Resource::kind).toList();
		}

		Resource one(String kind) {
			List<Resource> matching = this.resources.stream().filter((resource) -> kind.equals(resource.kind())).toList();
			assertThat(matching).as("exactly one %s", kind).hasSize(1);
			return matching.get(0);
		}

		Resource deployment() {
			return one("Deployment");
		}

		Map<String, Object> container() {
			List<Map<String, Object>> containers = list(deployment().at("spec.template.spec.containers"));
			assertThat(containers).hasSize(1);
			return containers.get(0);
		}

		Map<String, Object> configMap(String name) {
			return this.resources.stream()
				.filter((resource) -> "ConfigMap".equals(resource.kind()) && Objects.equals(name, resource.name()))
				.findFirst()
				.orElseThrow(() -> new AssertionError("no ConfigMap " + name + " in " + kinds()))
				.content();
		}

	}

}
