package config

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf16"

	"go.yaml.in/yaml/v3"

	"telegram-bot-webhook/payments/money"
)

// skuPattern limits a SKU to what fits in a Telegram deep-link payload
// "buy_<sku>" and in callback data, both 64 bytes at most, with room left
// for a prefix and an order id.
var skuPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)

// Length limits of a product's text fields, in UTF-16 code units, the unit
// in which Telegram counts its limit of 4096 characters per message. The bot
// puts each field into a message beside its own text: the name into the
// catalog, the order list and the payment message, the description into the
// catalog, and the delivery into the payment message. Within these limits
// those messages show each field in full, although the label of a Buy
// button still shortens a long name.
const (
	MaxProductNameLength        = 100
	MaxProductDescriptionLength = 400
	MaxProductDeliveryLength    = 3000
)

// productFields are the keys a catalog entry may have.
var productFields = []string{"sku", "name", "description", "price", "currency", "delivery"}

// decodeProducts reads the catalog straight from the YAML document, because
// the tag of each price node is needed: an unquoted 9.99 is a YAML float,
// and a float cannot hold every amount in cents exactly.
func decodeProducts(data []byte, p *problems) []Product {
	list, problem := productsNode(data)
	if problem != "" {
		p.add(productsKey, "%s", problem)
		return nil
	}

	seen := make(map[string]int)
	products := make([]Product, 0, len(list))
	for i, item := range list {
		prefix := fmt.Sprintf("%s[%d]", productsKey, i)
		fields, ok := productFieldNodes(item, prefix, p)
		if !ok {
			continue
		}
		product := decodeProduct(fields, prefix, p)
		if first, duplicate := seen[product.SKU]; duplicate && product.SKU != "" {
			p.add(prefix+".sku", "%q is already used by %s[%d]: give each product its own sku",
				product.SKU, productsKey, first)
		} else {
			seen[product.SKU] = i
		}
		products = append(products, product)
	}
	return products
}

// productsNode returns the items of the top-level products list, or a
// problem when the list is missing, empty or not a list.
func productsNode(data []byte) ([]*yaml.Node, string) {
	const missing = "is missing or empty: add at least one product to the YAML file"
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return nil, missing
	}
	root := resolveAlias(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, missing
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if !strings.EqualFold(root.Content[i].Value, productsKey) {
			continue
		}
		value := resolveAlias(root.Content[i+1])
		if value.Kind != yaml.SequenceNode {
			return nil, "must be a list of products, each with sku, name, price, currency and delivery"
		}
		if len(value.Content) == 0 {
			return nil, missing
		}
		return value.Content, ""
	}
	return nil, missing
}

// productFieldNodes maps each field of one catalog entry to its scalar node.
func productFieldNodes(item *yaml.Node, prefix string, p *problems) (map[string]*yaml.Node, bool) {
	item = resolveAlias(item)
	if item.Kind != yaml.MappingNode {
		p.add(prefix, "must be a product with sku, name, price, currency and delivery")
		return nil, false
	}

	fields := make(map[string]*yaml.Node)
	for i := 0; i+1 < len(item.Content); i += 2 {
		name := strings.ToLower(item.Content[i].Value)
		value := resolveAlias(item.Content[i+1])
		key := prefix + "." + name
		switch {
		case !isProductField(name):
			p.add(key, "is not a product field: use %s", strings.Join(productFields, ", "))
		case value.Kind != yaml.ScalarNode:
			p.add(key, "must be a single value, not a list or a section")
		default:
			fields[name] = value
		}
	}
	return fields, true
}

func decodeProduct(fields map[string]*yaml.Node, prefix string, p *problems) Product {
	text := func(name string) string {
		node := fields[name]
		if node == nil || node.Tag == "!!null" {
			return ""
		}
		return strings.TrimSpace(node.Value)
	}
	currency := text("currency")
	product := Product{
		SKU:         text("sku"),
		Name:        text("name"),
		Description: text("description"),
		Price:       text("price"),
		Currency:    strings.ToUpper(currency),
		Delivery:    text("delivery"),
	}

	if product.SKU == "" {
		p.add(prefix+".sku", "is missing: set a unique id of 1-40 characters of A-Z, a-z, 0-9, _ and -")
	} else if !skuPattern.MatchString(product.SKU) {
		p.add(prefix+".sku", "%q is not valid: use 1-40 characters of A-Z, a-z, 0-9, _ and -, "+
			"because it goes into Telegram deep links and button data", product.SKU)
	}
	if product.Name == "" {
		p.add(prefix+".name", "is missing: set the name buyers see")
	}
	if product.Delivery == "" {
		p.add(prefix+".delivery", "is missing: set what the buyer receives after paying, "+
			"such as a download link or a code")
	}
	checkLength(p, prefix+".name", product.Name, MaxProductNameLength,
		"shorten it so that the catalog and the order messages show it in full")
	checkLength(p, prefix+".description", product.Description, MaxProductDescriptionLength,
		"shorten it so that the catalog shows it in full")
	checkLength(p, prefix+".delivery", product.Delivery, MaxProductDeliveryLength,
		"shorten it, for example to a link to the full text, so that it fits in the payment message")

	product.AmountMinor = decodePrice(fields["price"], product, currency, prefix, p)
	return product
}

// decodePrice checks the currency and converts the price to minor units.
// rawCurrency is the currency as written, for the problem text.
func decodePrice(node *yaml.Node, product Product, rawCurrency, prefix string, p *problems) int64 {
	priceKey, currencyKey := prefix+".price", prefix+".currency"

	digits, known := money.CurrencyDigits(product.Currency)
	switch {
	case product.Currency == "":
		p.add(currencyKey, "is missing: set an ISO 4217 code such as USD, EUR or JPY")
	case !known:
		p.add(currencyKey, "%q is not an ISO 4217 currency code that PingPong accepts: "+
			"use a code such as USD, EUR or JPY", rawCurrency)
	}

	switch {
	case product.Price == "":
		p.add(priceKey, `is missing: set a decimal number in quotes, such as price: "9.99"`)
		return 0
	case node.Tag == "!!float":
		p.add(priceKey, "%s is a YAML number, which cannot hold every amount in cents exactly: "+
			"put it in quotes, as in price: %q", product.Price, product.Price)
		return 0
	case !known:
		return 0
	}

	if _, fraction, _ := strings.Cut(product.Price, "."); len(fraction) > digits {
		fix := fmt.Sprintf("round it to %d decimals", digits)
		if digits == 0 {
			fix = "write a whole number"
		}
		p.add(priceKey, "%q has more decimals than %s allows (%d): %s",
			product.Price, product.Currency, digits, fix)
		return 0
	}
	minor, err := money.ParsePrice(product.Price, product.Currency)
	if err != nil {
		p.add(priceKey, "is not a valid price: %v", err)
		return 0
	}
	return minor
}

// checkLength records a problem when value is longer than limit UTF-16
// code units, ending with fix, the advice to the operator.
func checkLength(p *problems, key, value string, limit int, fix string) {
	length := len(utf16.Encode([]rune(value)))
	if length > limit {
		p.add(key, "is %d characters long, over the limit of %d (Telegram counts an emoji as two): %s",
			length, limit, fix)
	}
}

func isProductField(name string) bool {
	for _, field := range productFields {
		if name == field {
			return true
		}
	}
	return false
}

// resolveAlias follows a YAML alias such as *common to the node it names.
func resolveAlias(node *yaml.Node) *yaml.Node {
	for node.Kind == yaml.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	return node
}
