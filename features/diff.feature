Feature: What the agent changed, row by row
  Before anything the agent did is replayed on production, a human approves it. What they approve is the
  change set: the difference between the sandbox and the baseline (the golden plus the harness's own
  post-reset steps), row by row. It must hold exactly what the agent's writes changed, with the values
  before and after, nothing that merely differs from run to run, and no secret.

  Rule: An untouched sandbox has nothing to approve

    Scenario: Right after a reset the sandbox does not differ from the baseline
      When the sandbox is reset to the golden
      Then the sandbox does not differ from the baseline

  Rule: The change set holds exactly the records the agent's work touched

    @fixture
    Scenario: A new customer bought three widgets, and the invoice was validated
      When the agent registers the customer "Atelier Zoé & Fils" in "Grenoble"
      And the agent creates the product "WIDGET-3000" "Widget 3000" at 20.00 excluding 20% VAT
      And the agent invoices 3 "WIDGET-3000" at 20.00 excluding 20% VAT to "Atelier Zoé & Fils" on "2025-01-15"
      And the agent validates the invoice
      Then the sandbox differs from the baseline by exactly these records:
        | record        | change | details                                                 |
        | customer      | added  | name "Atelier Zoé & Fils", town "Grenoble"                |
        | product       | added  | reference "WIDGET-3000", label "Widget 3000", price 20.00 |
        | product price | added  | price 20.00, VAT rate 20.00                              |
        | invoice       | added  | reference "FA2501-0043", status validated, total excl. tax 60.00, total incl. tax 72.00 |
        | invoice line  | added  | quantity 3, unit price 20.00, total incl. tax 72.00      |
      And the change set names the golden it was taken against and carries no secret

    @fixture
    Scenario: A changed record shows its values before and after
      When the agent renames the customer "Boulangerie Lefèvre" to "Boulangerie Lefèvre & Fille"
      Then the sandbox differs from the baseline by exactly these records:
        | record   | change  | details                                                                            |
        | customer | changed | name "Boulangerie Lefèvre" -> "Boulangerie Lefèvre & Fille", modified by user 6 -> 7 |

    @fixture
    Scenario: A removed record shows what it held
      Given someone deleted a contact in the sandbox
      Then the sandbox differs from the baseline by exactly these records:
        | record  | change  | details                                  |
        | contact | removed | first name "Mathéo", last name "Gauthier" |

  Rule: The agent's work never reaches production

    @needs-production
    Scenario: Production is untouched by the agent's work
      When the agent registers the customer "Atelier Zoé & Fils" in "Grenoble"
      And the agent creates the product "WIDGET-3000" "Widget 3000" at 20.00 excluding 20% VAT
      Then production is untouched
