package org.oialr.arch;

import org.oialr.method.TrainingMethod;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of ARCHITECTURE.md, enforced on the compiled classes of engine, autodiff and oialr (tests excluded):
 * no package cycles, nothing above the engine reaches the CUDA binding, the trainer knows no training method, and the
 * training methods know neither each other nor the trainer.
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void load() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("org.oialr");
    }

    @Test
    void noPackageCycles() {
        slices().matching("org.oialr.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void layers() {
        ArchRule rule = layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("engine").definedBy("org.oialr.engine..")
                .layer("autodiff").definedBy("org.oialr.autodiff..", "org.oialr.nn..", "org.oialr.optim..")
                .layer("lowrank").definedBy("org.oialr.lowrank..")
                .layer("method").definedBy("org.oialr.method..")
                .layer("data").definedBy("org.oialr.data..")
                .layer("train").definedBy("org.oialr.train..")
                .layer("cli").definedBy("org.oialr.cli..")
                .whereLayer("cli").mayNotBeAccessedByAnyLayer()
                .whereLayer("train").mayOnlyBeAccessedByLayers("cli")
                .whereLayer("method").mayOnlyBeAccessedByLayers("train", "cli")
                .whereLayer("lowrank").mayOnlyBeAccessedByLayers("method", "train", "cli")
                .whereLayer("data").mayOnlyBeAccessedByLayers("train", "cli", "method")
                .whereLayer("autodiff").mayOnlyBeAccessedByLayers("lowrank", "method", "data", "train", "cli")
                .whereLayer("engine").mayOnlyBeAccessedByLayers("autodiff", "lowrank", "method", "data", "train", "cli");
        rule.check(classes);
    }

    @Test
    void onlyTheEngineTouchesCuda() {
        noClasses().that().resideOutsideOfPackage("org.oialr.engine..")
                .should().dependOnClassesThat().resideInAPackage("org.oialr.engine.cuda..")
                .because("the CUDA backend is selected through the Backend SPI; JavaCPP types stay inside org.oialr.engine.cuda")
                .check(classes);
        noClasses().that().resideOutsideOfPackage("org.oialr.engine.cuda..")
                .should().dependOnClassesThat().resideInAPackage("org.bytedeco..")
                .check(classes);
    }

    @Test
    void trainingMethodsAreIndependentPlugIns() {
        String[] methods = {"full", "oialr", "svdtraining", "lorita", "dlrt", "twofactor"};
        for (String m : methods) {
            for (String other : methods) {
                if (other.equals(m)) continue;
                noClasses().that().resideInAPackage("org.oialr.method." + m + "..")
                        .should().dependOnClassesThat().resideInAPackage("org.oialr.method." + other + "..")
                        .because("a training method is one package that adds to the registry, never to another method")
                        .check(classes);
            }
        }
        noClasses().that().resideInAPackage("org.oialr.method..")
                .should().dependOnClassesThat().resideInAnyPackage("org.oialr.train..", "org.oialr.cli..")
                .because("methods see the trainer only through the TrainingMethod SPI")
                .check(classes);
        noClasses().that().resideInAnyPackage("org.oialr.train..")
                .should().dependOnClassesThat().resideInAnyPackage("org.oialr.method.*..")
                .because("the trainer knows no method; the command line finds them in the registry")
                .check(classes);
    }
}
