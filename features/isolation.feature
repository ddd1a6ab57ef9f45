Feature: Keeping the agent away from production
  The agent is given the sandbox's login and the sandbox's Dolibarr key, and nothing else. The sandbox sits
  beside production on the same database server, so living in another database is not enough: a product
  owner needs proof that nothing the agent can do with what it holds reaches production's data, production's
  database or production's Dolibarr, and needs to know exactly where the boundary lies, so that nobody
  relies on a protection that is not there.

  Rule: The sandbox's login does not open production, and could not change it even if it did
    Production refuses the sandbox's login at the door. Behind the door, production's data belongs to
    production's owner alone, so a door left open by mistake still lets nothing be changed.

    Scenario: The sandbox's login cannot even connect to production
      Given production lives on the same server as the sandbox
      When the sandbox's login tries to connect to production
      Then it is turned away for lack of permission to enter production

    @needs-provisioner @needs-production
    Scenario: Even with production's door left open by mistake, the sandbox's login cannot change production's data
      Given production's door was left open to the sandbox's login by mistake
      When the sandbox's login tries each of these in production:
        | attempt                          |
        | add a customer                   |
        | change a customer's name         |
        | delete a contact                 |
        | empty the table of invoice lines |
        | create a table of its own        |
      Then every attempt is refused for lack of permission
      And production's data is exactly as it was

  Rule: Only production's owner can drop production, and the sandbox's login holds nothing of it
    A database can be dropped by its owner only. The sandbox's login is a member of the sandbox's owner and
    of nothing else, so the one database it can drop is the sandbox.

    Scenario: The sandbox's login cannot drop production
      Given production lives on the same server as the sandbox
      When the sandbox's login tries to drop production
      Then it is refused because the sandbox's login does not own production
      And production is still there

    Scenario: The sandbox's login holds no power beyond the sandbox
      When the server is asked what the sandbox's login may do
      Then it is no superuser, and may neither create databases or roles nor replicate the server
      And it owns nothing itself: no database, and nothing in the sandbox
      And it belongs to the sandbox's owner and to no other role, production's owner included
      And the only database it can act as the owner of is the sandbox

  Rule: The sandbox's login could drop the sandbox but never create it back, so the harness never does either
    Through its membership of the sandbox's owner, the sandbox's login can drop any database that owner
    owns, the sandbox included; and it may not create databases. A reset that dropped and re-created the
    sandbox would therefore destroy it for good. This is why a reset empties and refills the sandbox in
    place instead. The boundary is shown on a spare database, never on the sandbox.

    @needs-provisioner
    Scenario: The sandbox's login can drop a spare database of the sandbox's owner, and cannot create it back
      Given the provisioner created a spare database owned by the sandbox's owner
      When the sandbox's login drops the spare database
      And the sandbox's login tries to create the spare database again
      Then the spare database is gone
      And creating it again was refused because the sandbox's login may not create databases
      And the sandbox is still there, exactly as it was

  Rule: The role that copies production can read it and nothing more
    The golden is taken by a role that reads production. It is the only production credential the
    seeding job holds, so it must not be able to change anything there.

    @needs-production
    Scenario: The role that copies production cannot change it
      When the role that copies production tries each of these in production:
        | attempt                          |
        | add a customer                   |
        | change a customer's name         |
        | delete a contact                 |
        | empty the table of invoice lines |
        | create a table of its own        |
      Then every attempt is refused for lack of permission
      And production's data is exactly as it was

  Rule: The agent's Dolibarr key goes to the sandbox's Dolibarr and nowhere else
    The key is meant for the sandbox's Dolibarr, but production's Dolibarr may accept it too: a golden copied
    from production carries production's users and keys over. The agent's client is set up for the
    sandbox's address and refuses to carry the key anywhere else, before anything is sent.

    Scenario Outline: The key is not sent to production's Dolibarr when the agent's client <how>
      Given the sandbox's Dolibarr and production's Dolibarr are both running, and the agent's client works with the sandbox's
      When the agent's client <how>
      Then the client refuses, saying "<refusal>"
      And production's Dolibarr received nothing, and only the sandbox's Dolibarr ever saw the key
      And the refusal does not reveal the key

      Examples:
        | how                                                              | refusal                      |
        | sends a call addressed to production's Dolibarr                  | only the sandbox origin      |
        | is redirected to production's Dolibarr by the sandbox's Dolibarr | Redirects are never followed |

  Rule: The harness touches nothing it cannot prove is the sandbox
    Before its first statement on any target, the harness checks what it reached: the server's identity,
    the database's name and owner, and a login with no more than the sandbox's own rights. A run
    configured by mistake with production's address or credentials stops there, before any write.

    @needs-production
    Scenario: Pointed at production with production's own login, the harness refuses before any write
      Given the harness is pointed at production with production's own login
      When the harness is asked to reset what it is pointed at
      Then it refuses, naming the database, its owner and the login that did not match
      And production's data is exactly as it was

    Scenario: Pointed at another PostgreSQL server, the harness refuses
      Given the harness expects another server than the one it reaches
      When the harness is asked to reset what it is pointed at
      Then it refuses, naming the server identity it expected and the one it found
      And the sandbox is still there, exactly as it was
