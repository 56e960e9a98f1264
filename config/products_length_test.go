package config

import (
	"fmt"
	"strings"
	"testing"
)

// productYAML returns one catalog entry with the given name, description
// and delivery, each quoted for YAML.
func productYAML(sku, name, description, delivery string) string {
	return fmt.Sprintf("  - sku: %s\n    name: %q\n    description: %q\n"+
		"    price: \"9.99\"\n    currency: USD\n    delivery: %q\n", sku, name, description, delivery)
}

func TestLoad_ProductTextAtLimitsAccepted(t *testing.T) {
	name := strings.Repeat("n", MaxProductNameLength)
	description := strings.Repeat("d", MaxProductDescriptionLength)
	// Each emoji is two UTF-16 code units, as Telegram counts it.
	delivery := strings.Repeat("🎁", MaxProductDeliveryLength/2)
	dir := workDirWithYAML(t, yamlWithProducts(productYAML("gift", name, description, delivery)))

	cfg := mustLoad(t, dir, withToken(nil))
	product := cfg.Products[0]
	if product.Name != name {
		t.Errorf("name has %d characters, want %d", len(product.Name), len(name))
	}
	if product.Description != description {
		t.Errorf("description has %d characters, want %d", len(product.Description), len(description))
	}
	if product.Delivery != delivery {
		t.Errorf("delivery changed: %d bytes, want %d", len(product.Delivery), len(delivery))
	}
}

func TestLoad_ProductTextTooLong(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	dir := workDirWithYAML(t, yamlWithProducts(
		productYAML("ok", "Fine", "Fine", "https://example.com/ok")+
			productYAML("name", long(MaxProductNameLength+1), "Fine", "https://example.com/a")+
			productYAML("description", "Fine", long(MaxProductDescriptionLength+5), "https://example.com/b")+
			productYAML("delivery", "Fine", "Fine", long(MaxProductDeliveryLength+1))+
			productYAML("emoji", "Fine", "Fine", strings.Repeat("🎁", MaxProductDeliveryLength/2+1)),
	))

	problems := loadProblems(t, dir, withToken(nil))
	assertProblem(t, problems, "products[1].name is 101 characters long, over the limit of 100")
	assertProblem(t, problems, "products[2].description is 405 characters long, over the limit of 400")
	assertProblem(t, problems, "products[3].delivery is 3001 characters long, over the limit of 3000")
	assertProblem(t, problems, "products[4].delivery is 3002 characters long, over the limit of 3000")
	assertNoProblemMentions(t, problems, "products[0]")
	if len(problems) != 4 {
		t.Errorf("problems = %d, want 4:\n%s", len(problems), strings.Join(problems, "\n"))
	}
}
