package dev.portico.discovery.kubernetes;

import dev.portico.api.BindAddress;
import dev.portico.api.InvalidConfigException;
import dev.portico.api.IpFamily;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ExposureClassesTest {

    @Test
    void readsAddressesWithoutAPort() {
        assertThat(ExposureClasses.parseAddress("", "bind")).isEqualTo(BindAddress.wildcard(0));
        assertThat(ExposureClasses.parseAddress(null, "bind")).isEqualTo(BindAddress.wildcard(0));
        assertThat(ExposureClasses.parseAddress("@eth1", "bind")).isEqualTo(BindAddress.iface("eth1", IpFamily.IPV4, 0));
        assertThat(ExposureClasses.parseAddress("@eth1/6", "bind")).isEqualTo(BindAddress.iface("eth1", IpFamily.IPV6, 0));
        assertThat(ExposureClasses.parseAddress("127.0.0.1", "bind")).isEqualTo(BindAddress.host("127.0.0.1", 0));
        assertThat(ExposureClasses.parseAddress("127.0.0.1:0", "bind")).isEqualTo(BindAddress.host("127.0.0.1", 0));
        assertThat(ExposureClasses.parseAddress("::1", "bind").toString()).isEqualTo(
                ExposureClasses.parseAddress("[::1]", "bind").toString());
        assertThat(ExposureClasses.parseAddress("router.example.test", "bind"))
                .isEqualTo(BindAddress.host("router.example.test", 0));
    }

    @Test
    void aPortInTheAddressIsAMistake() {
        assertThatThrownBy(() -> ExposureClasses.parseAddress("127.0.0.1:80", "bind"))
                .isInstanceOf(InvalidConfigException.class)
                .hasMessage("bind '127.0.0.1:80': give the address without a port (each Service port is used), "
                        + "e.g. 127.0.0.1");
        assertThatThrownBy(() -> ExposureClasses.parseAddress("@", "bind"))
                .isInstanceOf(InvalidConfigException.class).hasMessageStartingWith("bind '@': ");
    }

    @Test
    void readsNameEqualsAddress() {
        ExposureClasses.ExposureClass c = ExposureClasses.parseSpec("internal=@eth1", "exposure class");
        assertThat(c.name()).isEqualTo("internal");
        assertThat(c.bindFor(443)).isEqualTo(BindAddress.iface("eth1", IpFamily.IPV4, 443));
        assertThatThrownBy(() -> ExposureClasses.parseSpec("internal", "exposure class"))
                .hasMessage("exposure class 'internal': expected NAME=ADDRESS, e.g. internal=@eth1");
        assertThatThrownBy(() -> ExposureClasses.parseSpec("Internal=@eth1", "exposure class"))
                .hasMessageStartingWith("exposure class 'Internal=@eth1': exposure class name 'Internal' is not valid");
    }

    @Test
    void choosesByAnnotationThenSelectorThenDefault() {
        ExposureClasses classes = new ExposureClasses(List.of(
                new ExposureClasses.ExposureClass("default", BindAddress.wildcard(0), null),
                new ExposureClasses.ExposureClass("internal", BindAddress.iface("eth1", IpFamily.IPV4, 0),
                        LabelSelectors.parse("expose in (internal,both)", "selector")),
                new ExposureClasses.ExposureClass("external", BindAddress.iface("eth2", IpFamily.IPV4, 0),
                        LabelSelectors.parse("expose in (external,both)", "selector"))), "default");
        assertThat(names(classes.choose(Map.of("expose", "both"), List.of("external")))).containsExactly("external");
        assertThat(names(classes.choose(Map.of("expose", "both"), null))).containsExactly("internal", "external");
        assertThat(names(classes.choose(Map.of("expose", "internal"), null))).containsExactly("internal");
        assertThat(names(classes.choose(Map.of(), null))).containsExactly("default");
        assertThatThrownBy(() -> classes.choose(Map.of(), List.of("dmz")))
                .hasMessage("annotation portico.dev/exposure: 'dmz' is not an exposure class "
                        + "(configured: default, internal, external)");

        ExposureClasses noDefault = new ExposureClasses(classes.all().subList(1, 3), null);
        assertThat(noDefault.choose(Map.of(), null)).isEmpty();
    }

    @Test
    void checksItsDefinition() {
        ExposureClasses.ExposureClass a = new ExposureClasses.ExposureClass("a", BindAddress.wildcard(0), null);
        assertThatThrownBy(() -> new ExposureClasses(List.of(a, a), null)).hasMessage("exposure class 'a' is defined twice");
        assertThatThrownBy(() -> new ExposureClasses(List.of(a), "b"))
                .hasMessage("default exposure class 'b' is not defined (defined: a)");
        assertThat(new ExposureClasses.ExposureClass("a", BindAddress.wildcard(8080), null).address())
                .isEqualTo(BindAddress.wildcard(0));
    }

    private static List<String> names(List<ExposureClasses.ExposureClass> classes) {
        return classes.stream().map(ExposureClasses.ExposureClass::name).toList();
    }
}
