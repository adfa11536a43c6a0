package io.llmgateway.routing;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.cloud.gateway.filter.NettyRoutingFilter;

import static org.assertj.core.api.Assertions.assertThat;

class LeanRoutingRegistrarTests {

	@Test
	void takesThePlaceOfSpringCloudGatewaysRoutingFilter() {
		DefaultListableBeanFactory beans = new DefaultListableBeanFactory();
		RootBeanDefinition declared = new RootBeanDefinition(NettyRoutingFilter.class);
		declared.setFactoryBeanName(LeanRoutingRegistrar.GATEWAY_CONFIGURATION + "$NettyConfiguration");
		declared.setFactoryMethodName("routingFilter");
		beans.registerBeanDefinition("routingFilter", declared);

		new LeanRoutingRegistrar().postProcessBeanDefinitionRegistry(beans);

		assertThat(beans.getBeanDefinitionNames()).containsExactly("routingFilter");
		assertThat(beans.getBeanDefinition("routingFilter").getBeanClassName())
			.isEqualTo(LeanRoutingFilter.class.getName());
	}

	@Test
	void leavesARoutingFilterOfTheApplicationsOwnAlone() {
		DefaultListableBeanFactory beans = new DefaultListableBeanFactory();
		RootBeanDefinition own = new RootBeanDefinition(NettyRoutingFilter.class);
		beans.registerBeanDefinition("routingFilter", own);

		new LeanRoutingRegistrar().postProcessBeanDefinitionRegistry(beans);

		assertThat(beans.getBeanDefinition("routingFilter")).isSameAs(own);
	}

	@Test
	void registersNothingWhenTheRoutingFilterIsSwitchedOff() {
		DefaultListableBeanFactory beans = new DefaultListableBeanFactory();

		new LeanRoutingRegistrar().postProcessBeanDefinitionRegistry(beans);

		assertThat(beans.getBeanDefinitionNames()).isEmpty();
	}

}
