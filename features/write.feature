Feature: The agent's writes land in the sandbox, in business terms
  The agent works in the ERP as a person would: it registers customers, creates products, invoices them
  and validates invoices. Its writes go through Dolibarr's REST API with the sandbox key when a Dolibarr
  is configured, or are applied with the same effects straight to the sandbox's tables when none is; the
  report of every run says which. Either way they land in the sandbox only, under the agent's own user.

  Rule: After every reset the agent can act again, with no more rights than it needs
    A reset brings back production's users, and production's users only. The agent's own user and its
    sandbox key must be there again after every reset, or the agent is locked out (or worse, uses
    someone else's).

    Scenario: The agent's user and key are back after a reset
      When the sandbox is reset to the golden
      Then the agent's user is there: active, not an administrator, holding the sandbox key
      And the agent's key opens the sandbox's Dolibarr

  Rule: What the agent does is exactly what the sandbox shows

    Scenario: The agent registers a customer
      When the agent registers the customer "Atelier Zoé & Fils" in "Grenoble"
      Then the sandbox differs from the baseline by exactly these records:
        | record   | change | details                                  |
        | customer | added  | name "Atelier Zoé & Fils", town "Grenoble" |

    Scenario: The agent creates a product
      When the agent creates the product "WIDGET-3000" "Widget 3000" at 20.00 excluding 20% VAT
      Then the sandbox differs from the baseline by exactly these records:
        | record        | change | details                                                 |
        | product       | added  | reference "WIDGET-3000", label "Widget 3000", price 20.00 |
        | product price | added  | price 20.00, VAT rate 20.00                              |
